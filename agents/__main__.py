import sys

from agents.cli.main import main

sys.exit(main())
