"""The local DynamoDB server (moto, one request at a time) answers an API moto lacks with one
error the client reads, and goes on serving: no traceback on its stderr for the agents'
checks of services it does not have (CloudTrail's LookupEvents in the chaos runs)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def test_an_api_moto_lacks_is_an_error_answer_and_the_server_goes_on(local_dynamodb, aws_env):
    trail = boto3.client(
        "cloudtrail", region_name="us-east-1", endpoint_url=local_dynamodb.endpoint_url
    )
    with pytest.raises(ClientError) as refused:
        trail.lookup_events()
    assert refused.value.response["Error"]["Code"] == "NotImplemented"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    db = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=local_dynamodb.endpoint_url)
    assert "TableNames" in db.list_tables()
