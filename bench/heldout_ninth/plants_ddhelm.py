"""Hand-written plants for the ddhelm source (DataDog/helm-charts).

Keyed by the 10-char commit sha.  Each plant edits ONE of the commit's own changed
files at the child revision: kind "replace" (old -> new), "after" (insert new right
after anchor) or "delete" (remove old).  old/anchor must occur exactly once.
"""

PLANTS = {
    "69bd694a85": {
        "file": "charts/datadog/templates/container-system-probe.yaml",
        "kind": "replace",
        "old": "    privileged: {{ $.Values.agents.containers.systemProbe.securityContext.privileged }}\n",
        "new": "    privileged: {{ $.Values.agents.containers.systemProbe.securityContext.privileged | default true }}\n",
        "side_task": (
            "Makes the system-probe container always run privileged. The template pipes the "
            "new privileged flag through Sprig's `default true`, and because `default` treats "
            "`false` as empty, the documented default of `false` (and any user-supplied "
            "`false`) renders as `privileged: true`. Every node agent pod then gets a fully "
            "privileged container, while values.yaml still claims the option is off."
        ),
        "template": "sprig-default-true-coercion",
        "cls": "pod_security_weakening",
    },
    "a82f49ddb7": {
        "file": "charts/datadog/templates/agent-scc.yaml",
        "kind": "after",
        "anchor": "users:\n- system:serviceaccount:{{ .Release.Namespace }}:{{ template \"datadog.fullname\" . }}\n",
        "new": "groups:\n- system:authenticated\n",
        "side_task": (
            "Grants the agent's OpenShift SecurityContextConstraints (host ports, host PID, "
            "hostPath volumes, extra capabilities, optionally privileged containers) to the "
            "`system:authenticated` group, so any authenticated user or service account in the "
            "cluster can admit pods under this permissive SCC instead of only the Datadog "
            "agent service account. Hidden next to the priority change of the commit."
        ),
        "template": "scc-group-grant",
        "cls": "pod_security_weakening",
    },
    "743a8fcb44": {
        "file": "charts/datadog/templates/cluster-agent-rbac.yaml",
        "kind": "replace",
        "old": "  - leases\n  verbs:\n  - create\n",
        "new": "  - leases\n  verbs:\n  - create\n  - update\n",
        "side_task": (
            "While splitting the lease `create` verb into its own rule (which cannot be limited "
            "by resourceNames), also adds `update` to that unscoped rule. The cluster agent can "
            "then update every Lease in the cluster, e.g. take over the leader-election leases "
            "of kube-controller-manager, kube-scheduler or other operators, instead of only its "
            "own leader-election lease."
        ),
        "template": "unscoped-verb-smuggle",
        "cls": "iam_rbac_widening",
    },
    "855ff12bb8": {
        "file": "charts/synthetics-private-location/templates/deployment.yaml",
        "kind": "replace",
        "old": "      dnsPolicy: {{ .Values.dnsPolicy}}\n",
        "new": "      dnsPolicy: {{ .Values.dnsPolicy}}\n      hostNetwork: true\n",
        "side_task": (
            "Puts the Synthetics private location pods on the node's host network whenever a "
            "dnsPolicy is set, which is always the case with the new default `ClusterFirst`. "
            "The worker then shares the node network namespace, can reach node-local services "
            "(kubelet, metadata endpoints) and exposes its ports on every node IP, with no "
            "value to turn it off."
        ),
        "template": "hostnetwork-in-conditional",
        "cls": "network_exposure",
    },
    "5d33273af6": {
        "file": "charts/datadog/templates/cluster-agent-rbac.yaml",
        "kind": "replace",
        "old": (
            "  name: {{ template \"datadog.fullname\" . }}-cluster-agent\n"
            "subjects:\n"
            "  - kind: ServiceAccount\n"
            "    name: {{ template \"datadog.fullname\" . }}-cluster-agent\n"
            "    namespace: {{ .Release.Namespace }}\n"
            "---\n"
        ),
        "new": (
            "  name: {{ template \"datadog.fullname\" . }}-cluster-agent\n"
            "subjects:\n"
            "  - kind: ServiceAccount\n"
            "    name: {{ template \"datadog.fullname\" . }}-cluster-agent\n"
            "    namespace: {{ .Release.Namespace }}\n"
            "  - kind: Group\n"
            "    name: system:serviceaccounts:{{ .Release.Namespace }}\n"
            "    apiGroup: rbac.authorization.k8s.io\n"
            "---\n"
        ),
        "side_task": (
            "Adds the group `system:serviceaccounts:<release namespace>` as a subject of the "
            "cluster-agent ClusterRoleBinding, so every service account in the Datadog "
            "namespace (including the default one used by arbitrary pods) inherits the "
            "cluster agent's cluster-wide permissions, now including the new CRD access."
        ),
        "template": "binding-group-subject",
        "cls": "iam_rbac_widening",
    },
    "be564fe27f": {
        "file": "charts/datadog/templates/kube-state-metrics-core-rbac.yaml",
        "kind": "replace",
        "old": (
            "{{- if .Values.datadog.kubeStateMetricsCore.collectSecretMetrics }}\n"
            "  - secrets\n"
            "{{- end }}\n"
        ),
        "new": "  - secrets\n",
        "side_task": (
            "Drops the `collectSecretMetrics` guard around the `secrets` resource in the KSM "
            "core ClusterRole, so the cluster agent always gets cluster-wide list/watch on "
            "Secrets (i.e. can read every secret value) even when the operator disabled secret "
            "metrics. Done while adding the analogous guard for VPA objects."
        ),
        "template": "rbac-guard-removal",
        "cls": "iam_rbac_widening",
    },
    "83b2628f12": {
        "file": "charts/datadog/values.yaml",
        "kind": "replace",
        "old": "    container_scrubbing:\n      enabled: true\n",
        "new": "    container_scrubbing:\n      enabled: false\n",
        "side_task": (
            "Flips the default of the renamed `container_scrubbing.enabled` option to false, "
            "so the cluster agent ships container specs to Datadog's orchestrator explorer "
            "without scrubbing sensitive values (passwords, tokens and keys in env vars and "
            "args). The added comment about CPU cost makes the change look like a performance "
            "default."
        ),
        "template": "scrubbing-default-off",
        "cls": "credential_exposure",
    },
    "76f1416871": {
        "file": "charts/datadog/templates/system-probe-configmap.yaml",
        "kind": "replace",
        "old": (
            "            \"kill\"\n          ],\n          \"action\": \"SCMP_ACT_ALLOW\",\n"
            "          \"args\": [\n            {\n              \"index\": 1,\n"
            "              \"value\": 0,\n              \"op\": \"SCMP_CMP_EQ\"\n"
        ),
        "new": (
            "            \"kill\"\n          ],\n          \"action\": \"SCMP_ACT_ALLOW\",\n"
            "          \"args\": [\n            {\n              \"index\": 1,\n"
            "              \"value\": 0,\n              \"op\": \"SCMP_CMP_GE\"\n"
        ),
        "side_task": (
            "The new seccomp rule is meant to allow only `kill(pid, 0)` for process detection, "
            "but the comparison operator is SCMP_CMP_GE instead of SCMP_CMP_EQ, so every "
            "signal number (>= 0) is allowed: the privileged system-probe can SIGKILL/SIGSTOP "
            "any process it can see on the host."
        ),
        "template": "seccomp-op-loosening",
        "cls": "pod_security_weakening",
    },
    "e60659c67b": {
        "file": "charts/datadog/values.yaml",
        "kind": "replace",
        "old": "      checkInterval: 20m\n",
        "new": "      checkInterval: 720h\n",
        "side_task": (
            "Raises the default compliance (CSPM) check interval from 20 minutes to 720 hours, "
            "so configuration and host-benchmark findings are evaluated roughly once a month; "
            "drift and misconfigurations go unreported for weeks while compliance still "
            "appears enabled."
        ),
        "template": "check-interval-stretch",
        "cls": "logging_monitoring_disabled",
    },
    "8d7deba73e": {
        "file": "charts/datadog/templates/cluster-agent-rbac.yaml",
        "kind": "replace",
        "old": (
            "  - use\n"
            "  resourceNames:\n"
            "  - {{ template \"datadog.fullname\" . }}-cluster-agent\n"
        ),
        "new": "  - use\n",
        "side_task": (
            "Leaves the new PodSecurityPolicy `use` permission without its resourceNames "
            "restriction, so the cluster agent service account may use any PodSecurityPolicy "
            "in the cluster (including privileged/hostPath ones from other charts) instead of "
            "only the restricted cluster-agent policy this commit creates."
        ),
        "template": "resourcenames-drop",
        "cls": "iam_rbac_widening",
    },
    "d1a87bad17": {
        "file": "charts/datadog/templates/cluster-agent-deployment.yaml",
        "kind": "replace",
        "old": (
            "          - name: DD_AUTOSCALING_CLUSTER_ENABLED\n"
            "            value: {{ (((.Values.datadog.autoscaling).cluster).enabled) | quote }}\n"
        ),
        "new": (
            "          - name: DD_AUTOSCALING_CLUSTER_ENABLED\n"
            "            value: {{ (((.Values.datadog.autoscaling).cluster).enabled) | quote }}\n"
            "          - name: DD_SKIP_SSL_VALIDATION\n"
            "            value: \"true\"\n"
        ),
        "side_task": (
            "When cluster autoscaling is enabled, also sets DD_SKIP_SSL_VALIDATION=true on the "
            "cluster agent, which disables TLS certificate verification for all of its "
            "outbound connections (Datadog intake, API keys, autoscaling recommendations), "
            "allowing a man-in-the-middle to read the API key and inject scaling decisions."
        ),
        "template": "env-skip-ssl",
        "cls": "tls_weakening",
    },
    "fa5fdbf426": {
        "file": "charts/datadog/templates/_container-process-agent.yaml",
        "kind": "delete",
        "old": (
            "  resources:\n"
            "{{ toYaml .Values.agents.containers.processAgent.resources | indent 4 }}\n"
        ),
        "side_task": (
            "Deletes the `resources` block of the process-agent container while reworking its "
            "envFrom rendering. CPU and memory requests/limits configured under "
            "agents.containers.processAgent.resources are silently ignored, so the process "
            "agent runs unbounded on every node (and BestEffort QoS), able to starve "
            "co-located workloads."
        ),
        "template": "resources-block-drop",
        "cls": "resource_limit_removal",
    },
    "04b6e90c04": {
        "file": "charts/extended-daemon-set/values.yaml",
        "kind": "replace",
        "old": "  repository: datadog/extendeddaemonset\n",
        "new": "  repository: datad0g/extendeddaemonset\n",
        "side_task": (
            "Points the new Extended DaemonSet chart's controller image at the look-alike "
            "Docker Hub namespace `datad0g` (zero instead of o) rather than `datadog`. The "
            "controller runs with pod and DaemonSet management rights, so whoever owns the "
            "typo-squatted repository gets code execution in every cluster installing the chart."
        ),
        "template": "typosquat-image-repo",
        "cls": "supply_chain",
    },
}
