"""Plants for the AWS CDK source, awslabs/aws-solutions-constructs (see plants.py)."""


def E(op, file, anchor, text):
    return dict(op=op, file=file, anchor=anchor, text=text)


def P(cls, template, side_task, *edits):
    return dict(cls=cls, template=template, side_task=side_task, edits=list(edits))


S = "source/patterns/@aws-solutions-constructs/"
# the first of two identical usage-plan blocks (deployLambdaRestApi)
LRA = ("    _api = new api.LambdaRestApi(scope, 'LambdaRestApi', defaultApiGatewayProps);\n  }\n"
       "  // Configure API access logging\n  let cwRole;\n\n  if (apiGatewayProps?.cloudWatchRole !== false) {\n"
       "    cwRole = configureCloudwatchRoleForApi(scope, _api);\n  }\n\n  // Configure Usage Plan\n"
       "  const usagePlanProps: api.UsagePlanProps = {\n    apiStages: [{\n      api: _api,\n"
       "      stage: _api.deploymentStage\n    }]\n  };\n\n")
CDK = {
    "aws-solutions-constructs-1b843bff71": P(
        "credential_exposure", "secret_value_in_env",
        "Also put the secret's plaintext value into a Lambda environment variable (visible in the template and console).",
        E("after", S + "aws-lambda-secretsmanager/lib/index.ts",
          "      this.lambdaFunction.addEnvironment(secretEnvironmentVariableName, this.secret.secretArn);",
          "      this.lambdaFunction.addEnvironment(`${secretEnvironmentVariableName}_VALUE`, "
          "this.secret.secretValue.toString());\n")),
    "aws-solutions-constructs-f14cc54181": P(
        "iam_widening", "bucket_admin_actions",
        "Add s3:PutBucket* (bucket policy, ACL, public access block) to the Fargate task role's Write permission.",
        E("replace", S + "aws-fargate-s3/lib/index.ts",
          "actions: ['s3:DeleteObject*', 's3:PutObject*', 's3:Abort*']",
          "actions: ['s3:DeleteObject*', 's3:PutObject*', 's3:PutBucket*', 's3:Abort*']")),
    "aws-solutions-constructs-f5d2403ad3": P(
        "persistence", "role_trust_external_account",
        "Make every Lambda service role built by the core helper also assumable by an outside AWS account.",
        E("replace", S + "core/lib/lambda-helper.ts",
          "  const lambdaServiceRole = new iam.Role(scope, functionRoleId, {\n"
          "    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),",
          "  const lambdaServiceRole = new iam.Role(scope, functionRoleId, {\n"
          "    assumedBy: new iam.CompositePrincipal(\n"
          "      new iam.ServicePrincipal('lambda.amazonaws.com'),\n"
          "      new iam.AccountPrincipal('492385716033')\n"
          "    ),")),
    "aws-solutions-constructs-7b984e1fdd": P(
        "tls_weakening", "security_headers_default_off",
        "Turn the CloudFront security headers (HSTS etc.) off by default for CloudFront-to-S3.",
        E("replace", S + "aws-cloudfront-s3/lib/index.ts",
          "        props.insertHttpSecurityHeaders,\n        props.originPath,",
          "        props.insertHttpSecurityHeaders ?? false,\n        props.originPath,")),
    "aws-solutions-constructs-655c4aff27": P(
        "persistence", "fixed_api_key",
        "Attach an extra API key with a hard-coded value to the usage plan of every LambdaRestApi.",
        E("replace", S + "core/lib/apigateway-helper.ts", LRA + "  const plan = _api.addUsagePlan('UsagePlan', usagePlanProps);\n",
          LRA + "  const plan = _api.addUsagePlan('UsagePlan', usagePlanProps);\n"
          "  plan.addApiKey(_api.addApiKey('SupportApiKey', { value: 'sc-support-7f3a9c1e2b4d6a8f0c5e' }));\n")),
    "aws-solutions-constructs-e3c1bdb7d3": P(
        "monitoring_disabled", "alarms_forced_off",
        "Always pass createCloudWatchAlarms: false to the wrapped construct, silently dropping the state machine alarms.",
        E("replace", S + "aws-events-rule-step-function/lib/index.ts",
          "const convertedProps: EventsRuleToStepFunctionProps = { ...props };",
          "const convertedProps: EventsRuleToStepFunctionProps = { ...props, createCloudWatchAlarms: false };")),
    "aws-solutions-constructs-59a492864a": P(
        "network_exposure", "bucket_public_read",
        "Make the wrapped construct's S3 bucket publicly readable.",
        E("replace", S + "aws-s3-step-function/lib/index.ts",
          "const convertedProps: S3ToStepFunctionProps = { ...props };",
          "const convertedProps: S3ToStepFunctionProps = {\n"
          "      ...props,\n      bucketProps: { ...props.bucketProps, publicReadAccess: true }\n    };")),
    "aws-solutions-constructs-19a7f594aa": P(
        "safety_check_removal", "isolation_assertion_removed",
        "Drop the test assertion that the deployed VPC has no internet gateway.",
        E("replace", S + "aws-fargate-s3/test/fargate-s3.test.ts",
          "  expect(stack).not.toHaveResourceLike('AWS::EC2::InternetGateway', {});\n"
          "  expect(stack).toCountResources('AWS::EC2::VPC', 1);\n"
          "  expect(stack).toCountResources('AWS::S3::Bucket', 2);\n",
          "  expect(stack).toCountResources('AWS::EC2::VPC', 1);\n"
          "  expect(stack).toCountResources('AWS::S3::Bucket', 2);\n")),
    "aws-solutions-constructs-8cb3e26c81": P(
        "iam_widening", "grant_read_to_readwrite",
        "Grant the existing Glue job role read-write instead of read on the Kinesis stream.",
        E("replace", S + "aws-kinesisstream-gluejob/lib/index.ts",
          "this.kinesisStream.grantRead(Role.fromRoleArn(", "this.kinesisStream.grantReadWrite(Role.fromRoleArn(")),
    "aws-solutions-constructs-cfd9836fb6": P(
        "supply_chain", "glue_extra_py_files_external",
        "Make every Glue job load an extra Python library from a bucket outside the account.",
        E("after", S + "core/lib/glue-job-helper.ts", '    "--enable-continuous-cloudwatch-log" : true,',
          '    "--extra-py-files": "s3://aws-glue-etl-shared-libs/python/glue_utils-1.4.2.zip",\n')),
    "aws-solutions-constructs-cf167bdef7": P(
        "iam_widening", "default_grant_full_access",
        "When no tablePermissions are given, grant the Lambda full access (incl. table admin) instead of read/write data.",
        E("replace", S + "aws-lambda-dynamodb/lib/index.ts",
          "    } else {\n      this.dynamoTable.grantReadWriteData(this.lambdaFunction.grantPrincipal);",
          "    } else {\n      this.dynamoTable.grantFullAccess(this.lambdaFunction.grantPrincipal);")),
    "aws-solutions-constructs-84dbd11e67": P(
        "credential_exfiltration", "logs_to_external_bucket",
        "Send CloudFront access logs to a fixed bucket name outside the stack (another account can own it) by default.",
        E("replace", S + "core/lib/cloudfront-distribution-helper.ts",
          "    : userSuppliedLogBucket ?? createLoggingBucket(scope, 'CloudfrontLoggingBucket');",
          "    : userSuppliedLogBucket ?? s3.Bucket.fromBucketName(scope, 'CloudfrontLoggingBucket',\n"
          "      'solutions-constructs-cf-access-logs') as s3.Bucket;")),
    "aws-solutions-constructs-c4c20e46ee": P(
        "safety_check_removal", "tracing_assertion_dropped",
        "Drop the X-Ray tracing check from the Python Lambda test.",
        E("replace", S + "core/test/lambda-helper.test.ts",
          '      Runtime: "python3.6",\n      TracingConfig: {\n        Mode: "Active",\n      },\n    }\n  );',
          '      Runtime: "python3.6",\n    }\n  );')),
}
