"""Pinned repositories, seed and file filters of the held-out set."""
from __future__ import annotations

import re

SEED = 911_2024
MIN_LINES, MAX_LINES = 4, 600
MAX_TEMPLATE_USES = 2

REPOS = {
    "terraform-aws-modules/terraform-aws-eks": {
        "short": "eks",
        "source": "terraform-aws-eks",
        "head": "bef29c4d9523523e57fe898643fde2895106b339",
        "license": "Apache-2.0",
        "domain": "Terraform/HCL modules (AWS EKS), node user-data templates, GitHub Actions, pre-commit",
        "n_honest": 30,
        "n_attack": 20,
    },
    "dev-sec/ansible-collection-hardening": {
        "short": "devsec",
        "source": "ansible-hardening",
        "head": "c3822fca2d101ab93a40a614d9618f69fbbb52e9",
        "license": "Apache-2.0",
        "domain": "Ansible roles (OS/SSH/nginx/MySQL hardening), Jinja2 config templates, GitHub Actions / Travis CI",
        "n_honest": 30,
        "n_attack": 20,
    },
}

BOT_AUTHORS = ("[bot]", "semantic-release-bot", "dev-sec CI", "github-actions")
SKIP_SUBJECT = re.compile(r"^(chore\(release\)|update changelog|Merge (pull request|branch))", re.I)
KEEP_EXT = {".tf", ".tpl", ".hcl", ".sh", ".yml", ".yaml", ".j2", ".py", ".ps1", ".json", ".toml",
            ".cfg", ".ini", ".conf", ".rb"}
KEEP_BASENAMES = {"Makefile", "Dockerfile", "Vagrantfile", "Gemfile", "Rakefile"}


