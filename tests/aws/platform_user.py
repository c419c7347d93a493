"""Creates, in the moto server the tests use, a platform identity that may only assume roles, and prints
the AWS_* variables that make `keyward serve` use it. Run with the administrator's keys in
KEYWARD_TEST_AWS_ADMIN_KEY_ID / KEYWARD_TEST_AWS_ADMIN_SECRET and the endpoint in KEYWARD_TEST_AWS_ENDPOINT."""
import json
import os
import uuid

import boto3

endpoint = os.environ["KEYWARD_TEST_AWS_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=os.environ["KEYWARD_TEST_AWS_ADMIN_KEY_ID"],
                   aws_secret_access_key=os.environ["KEYWARD_TEST_AWS_ADMIN_SECRET"])
name = f"keyward-fuzz-{uuid.uuid4().hex[:8]}"
iam.create_user(UserName=name)
iam.put_user_policy(UserName=name, PolicyName="assume-only", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}))
key = iam.create_access_key(UserName=name)["AccessKey"]
print(f"export AWS_ACCESS_KEY_ID={key['AccessKeyId']} AWS_SECRET_ACCESS_KEY={key['SecretAccessKey']} "
      f"AWS_REGION=us-east-1 AWS_ENDPOINT_URL={endpoint}")
