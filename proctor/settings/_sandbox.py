"""Sandbox settings (the ``sandbox`` section of the settings tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from proctor.paths import machine_dir


class SandboxSettings(BaseModel):
    """Where and how experiment code runs, and the limits Proctor enforces from outside it."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["auto", "docker", "bubblewrap", "host"] = Field(
        default="auto",
        description="auto prefers docker, then bubblewrap; 'host' runs unisolated and needs allow_host.",
    )
    allow_host: bool = Field(default=False, description="Explicit opt-in to run on the bare host.")
    timeout_s: float = Field(default=600.0, gt=0, description="Default wall timeout of one exec.")
    memory_mb: int = Field(default=4096, gt=0, description="Memory limit of a sandbox.")
    cpus: float = Field(default=2.0, gt=0, description="CPU limit of a sandbox, in cores.")
    pids: int = Field(default=512, gt=0, description="Most processes and threads a sandbox may hold.")
    disk_quota_mb: int = Field(
        default=2048, gt=0,
        description="Largest size of the work directory (and of any one file written in it).",
    )
    quota: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="Enforce disk_quota_mb and max_files during the run: the live work directory is a "
        "size-limited tmpfs mirrored back to the persistent one after every exec. 'auto' where Proctor can "
        "mount (root), else today's after-the-fact check with a note on every result; 'required' refuses "
        "to start without it; 'off' never mounts.",
    )
    max_files: int = Field(
        default=100_000, gt=0, description="Most files and directories the live work directory may hold (inodes).",
    )
    live_root: Path = Field(
        default=Path("/run/proctor/work"),
        description="Where live work directories are mounted (a neutral path that reveals nothing about the "
        "run; created 0711 and reachable by the sandbox uid).",
    )
    seccomp: bool = Field(
        default=True,
        description="bubblewrap: load a seccomp filter that refuses nested user namespaces, mount, ptrace, "
        "keyrings, bpf, perf, kexec, modules and personality changes (needs libseccomp2). Docker keeps the "
        "engine's default profile either way.",
    )
    tmpfs_mb: int = Field(default=512, gt=0, description="Size of the writable /tmp tmpfs (docker).")
    output_limit_bytes: int = Field(
        default=64_000, gt=0, description="stdout and stderr are each truncated to this many bytes.",
    )
    sandbox_uid: int = Field(
        default=61000, gt=0,
        description="Non-root uid:gid the sandboxed code runs as; the work directory is chowned to it "
        "when Proctor runs as root (an unprivileged Proctor uses its own uid).",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Extra variables set in every sandbox (no host variable is ever passed through).",
    )
    state_dir: Path = Field(
        # The bubblewrap rootfs must be readable by the unprivileged sandbox uid, and root's home is not.
        default_factory=lambda: machine_dir("sandboxes"),
        description="Machine-wide state: GPU lock files, the bubblewrap root filesystem, build caches "
        "(default /var/lib/proctor/sandboxes as root, else ~/.cache/proctor/sandboxes; it must be "
        "world-traversable for bubblewrap's unprivileged sandbox user).",
    )
    work_root: Path | None = Field(
        default=None, description="Where fresh work directories are created (default: the system temp dir).",
    )
    image: str = Field(default="proctor/sandbox:bookworm", description="Docker image tag experiments run in.")
    base_image: Literal["debootstrap"] | str = Field(
        default="debootstrap",
        description="'debootstrap' builds the CPU image from Debian locally (no registry pull). On GPU "
        "hosts name a CUDA image already present locally (e.g. nvidia/cuda:12.4.1-runtime-ubuntu22.04); "
        "`proctor sandbox build-image` then layers the Python packages on it.",
    )
    debian_mirror: str = Field(default="http://deb.debian.org/debian", description="Mirror for debootstrap.")
    debian_suite: str = Field(default="bookworm", description="Debian release of the base image.")
    python_packages: list[str] = Field(
        default_factory=lambda: ["torch==2.13.0", "numpy", "scipy", "scikit-learn", "matplotlib"],
        description="Packages installed into the image (pip, wheels only; pip's find-links apply).",
    )
    docker_base_url: str | None = Field(
        default=None, description="Docker engine socket, e.g. unix:///tmp/proctor-ci-docker.sock (default: $DOCKER_HOST).",
    )
    docker_runtime: str | None = Field(
        default=None, description="Docker runtime, e.g. 'runsc' for gVisor or 'nvidia' on older GPU hosts.",
    )
    gpus: int = Field(default=0, ge=0, description="GPUs given to each sandbox (docker); 0 means none.")
    gpu_ids: list[int] | None = Field(
        default=None, description="GPU indices this machine may hand out (default: all that nvidia-smi lists).",
    )
    bwrap_root: Literal["auto", "image", "host"] = Field(
        default="auto",
        description="Root filesystem of bubblewrap sandboxes: 'image' the built rootfs under state_dir, "
        "'host' read-only binds of the host's system dirs, 'auto' the rootfs when it exists.",
    )
