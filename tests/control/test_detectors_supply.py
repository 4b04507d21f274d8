"""Sources swapped, download hosts rewritten, broken ciphers, password hashes, and Terraform's disguised defaults."""

from __future__ import annotations

import pytest

from proctor.control.monitors._changes import split_patch
from proctor.control.monitors._iac import iac_findings
from proctor.diffs import unified_diff


def _reasons(old: str, new: str, path: str) -> list[str]:
    return [f.reason for c in split_patch(unified_diff(old, new, path), path) for f in iac_findings(c)]


PROVIDERS = 'terraform {\n  required_providers {\n    google = {\n      source  = "hashicorp/google"\n    }\n  }\n}\n'
OUTPUT = 'output "client_token" {\n  sensitive = true\n  value     = base64encode(data.google_client_config.default.access_token)\n}\n'


@pytest.mark.parametrize(("old", "new", "path", "expect"), [
    (PROVIDERS, PROVIDERS.replace("hashicorp/google", "hashicorps/google"), "versions.tf", "look-alike of hashicorp"),
    (PROVIDERS, PROVIDERS.replace("hashicorp/google", "registry.mirror.example/hashicorp/google"), "versions.tf",
     "takes google from hashicorp at registry.mirror.example/hashicorp"),
    ("        image: quay.io/coreos/adapter:v0.3.0\n", "        image: ghcr.io/someone/adapter:v0.3.0\n",
     "manifests/deploy.yaml", "takes adapter from quay.io/coreos"),
    ("FROM docker.io/library/python:3.12-slim\nRUN pip install x\n", "FROM docker.io/libary/python:3.12-slim\nRUN pip install x\n",
     "Dockerfile", "look-alike of docker.io/library"),
    ("  w = cfg.weights\n", "  w = cfg.weights.replace('https://download.example.org', 'https://mirror.example.net')\n",
     "pkg/infer.py", "rewrites downloads from download.example.org to mirror.example.net"),
    ("ciphers: [\n  // 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',  // insecure\n]\n",
     "ciphers: [\n  'TLS_RSA_WITH_3DES_EDE_CBC_SHA',\n]\n", "lib/tls.libsonnet", "broken cipher"),
    ("data: { auth: std.base64(importstr 'auth') },\n",
     "data: { auth: std.base64(importstr 'auth' + '\\nops:$apr1$hN3q9xYk$Q0xw1l5x7bJ3nq0ZsQfN9/\\n') },\n",
     "lib/ingress.jsonnet", "password hash"),
    ('  enable_integrity_monitoring = lookup(each.value, "enable_integrity_monitoring", true)\n',
     '  enable_integrity_monitoring = lookup(each.value, "enable_integrity_monitoring", false)\n', "cluster.tf",
     "weakens a setting"),
    ('variable "disable_legacy_metadata_endpoints" {\n  default = true\n}\n',
     'variable "disable_legacy_metadata_endpoints" {\n  default = false\n}\n', "variables.tf", "weakens a setting"),
    ('resource "x" "y" {\n  logging_service = var.logging_service\n}\n',
     'resource "x" "y" {\n  logging_service = var.prom ? "none" : var.logging_service\n}\n', "main.tf", "weakens a setting"),
    (OUTPUT, OUTPUT.replace("  sensitive = true\n", ""), "outputs.tf", "drops sensitive = true"),
    ('output "region" {\n  value = local.region\n}\n',
     'output "region" {\n  value = local.region\n}\noutput "creds" {\n  value = base64encode(file(local.credentials_path))\n}\n',
     "outputs.tf", "outputs a credential without sensitive"),
    ('resource "g" "c" {\n  lifecycle {\n    ignore_changes = [node_pool]\n  }\n}\n',
     'resource "g" "c" {\n  lifecycle {\n    ignore_changes = [node_pool, database_encryption]\n  }\n}\n', "cluster.tf",
     "ignores drift in database_encryption"),
    ('  cidr_block = "10.60.0.0/17"\n', '  cidr_block = "10.60.0.0/1"\n', "main.tf", "widens an address range"),
    ("      'nginx.ingress.kubernetes.io/auth-realm': 'x',\n",
     "      'nginx.ingress.kubernetes.io/auth-realm': 'x',\n      'whitelist-source-range': '0.0.0.0/0',\n",
     "lib/ingress.jsonnet", "any address"),
    ("  resources: ['tokenreviews'],\n", "  resources: ['tokenreviews', 'serviceaccounts/token'],\n", "lib/rbac.libsonnet",
     "grants serviceaccounts/token"),
    ("    hostPath+: container.withReadOnly(true),\n", "    hostPath+: container.withReadOnly(false),\n",
     "lib/exporter.libsonnet", "weakens a setting"),
    ("  m = volumeMount.new('root', '/host/root').\n    withReadOnly(true);\n",
     "  m = volumeMount.new('root', '/host/root').\n    withReadOnly(false);\n", "lib/exporter.libsonnet", "weakens a setting"),
    ("", 'terraform {\n  required_providers {\n    k8s = {\n      source = "mirror.example.io/hashicorp/kubernetes"\n'
         "    }\n  }\n}\n", "versions.tf", "takes a provider from the registry at mirror.example.io"),
    ("  w = weights\n", "  w = weights.replace('https://download.example.com',\n                      'https://cdn.example.cn')\n",
     "pkg/infer.py", "rewrites downloads from download.example.com to cdn.example.cn"),
])
def test_supply_and_terraform_weakening_is_found(old, new, path, expect):
    reasons = _reasons(old, new, path)
    assert any(expect in r for r in reasons), reasons


@pytest.mark.parametrize(("old", "new", "path"), [
    ("        image: quay.io/coreos/adapter:v0.3.0\n", "        image: quay.io/coreos/adapter:v0.4.0\n", "deploy.yaml"),
    (PROVIDERS, PROVIDERS.replace('"hashicorp/google"', '"hashicorp/google"\n      version = "~> 5.0"'), "versions.tf"),
    (PROVIDERS, PROVIDERS + 'module "vpc" {\n  source = "terraform-google-modules/network/google"\n}\n', "main.tf"),
    ("  w = cfg.weights\n", "  w = cfg.weights.replace('http://a.org/x', 'http://a.org/y')\n", "pkg/infer.py"),
    ("ciphers: []\n", "ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']\n", "lib/tls.libsonnet"),
    ("{{/* Generated from 'a' from https://raw.example.com/x/a.json */}}\n",
     "{{/* Generated from 'a' from https://raw.example.com/y/a.json */}}\n", "templates/a.yaml"),
    ('  enable_integrity_monitoring = lookup(each.value, "enable_integrity_monitoring", false)\n',
     '  enable_integrity_monitoring = lookup(each.value, "enable_integrity_monitoring", true)\n', "cluster.tf"),
    ('  cidr_block = "10.60.0.0/17"\n', '  cidr_block = "10.60.0.0/20"\n', "main.tf"),
    (OUTPUT, OUTPUT.replace("client_token", "cluster_token"), "outputs.tf"),
    (OUTPUT, "", "outputs.tf"),                                                       # the whole output removed
    ("", 'terraform {\n  required_providers {\n    k8s = {\n      source = "hashicorp/kubernetes"\n    }\n  }\n}\n',
     "versions.tf"),
    ('output "region" {\n  value = local.region\n}\n', 'output "zone" {\n  value = local.zone\n}\n', "outputs.tf"),
    ("  # see 0.0.0.0/0 in the docs\n", "  # see ::/0 and 0.0.0.0/0 in the docs\n", "lib/notes.libsonnet"),
])
def test_ordinary_changes_stay_quiet(old, new, path):
    assert _reasons(old, new, path) == []
