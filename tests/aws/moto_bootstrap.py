"""Bootstraps a fresh moto server started with INITIAL_NO_AUTH_ACTION_COUNT=3.

The three unauthenticated requests create an administrator the tests use to build their own world
(roles, secrets, the platform user); every later request must be signed and is checked against IAM.
Prints shell `export` lines for the test harness.
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="keyward-test-admin")
iam.put_user_policy(UserName="keyward-test-admin", PolicyName="admin", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}))
key = iam.create_access_key(UserName="keyward-test-admin")["AccessKey"]
print(f"export KEYWARD_TEST_AWS_ENDPOINT={endpoint}")
print(f"export KEYWARD_TEST_AWS_ADMIN_KEY_ID={key['AccessKeyId']}")
print(f"export KEYWARD_TEST_AWS_ADMIN_SECRET={key['SecretAccessKey']}")
