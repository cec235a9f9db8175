"""Secrets (issue 4): discovery in HOME and the workspace, per-environment grants, what a hidden
path looks like from inside (and that the usual bypasses read nothing), audit records of every
open of a hidden path, environment scrubbing, and `interlock secrets scan`.

The fake HOME lives under /var/tmp (a root-invoked sandbox has a private /tmp and an empty /root),
world-readable, so that only the masking (not file permissions) keeps the sandbox out of it.
"""

import glob
import json
import os
import secrets as pysecrets
import shutil
import signal
import string
import subprocess
import tempfile

import pytest

from conftest import PY, TIMEOUT, pid_alive, proc_cmdline, sandbox_env, wait_until, write_profile
from helpers.seccomp_support import read_audit

MARK = "ILSECMARK"  # every secret file holds MARK-<name>; nothing else in HOME/workspace does

ALNUM = string.ascii_letters + string.digits


def rand(n, alphabet=ALNUM):
    """n random bytes of alphabet, with a digit, a lowercase and an uppercase letter where the
    alphabet has them (random keys do; the scan's "mixed" rules look for that)."""
    classes = [c for c in (string.digits, string.ascii_lowercase, string.ascii_uppercase)
               if set(c) & set(alphabet)]
    while True:
        s = "".join(pysecrets.choice(alphabet) for _ in range(n))
        if all(set(s) & set(c) for c in classes):
            return s


PEM_KEY = ("-----BEGIN PRIVATE KEY-----\n" + rand(64) + "\n" + rand(64) + "\n-----END PRIVATE KEY-----\n")
PEM_RSA = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + rand(64) + "\n-----END OPENSSH PRIVATE KEY-----\n")

# Issue item 1: every kind of home credential location (relative to HOME).
HOME_SECRETS = {
    ".aws/credentials": "[default]\naws_access_key_id = AKIA" + rand(16, string.ascii_uppercase + string.digits) + "\n",
    ".aws/config": "[default]\nregion = eu-west-1\n",
    ".azure/accessTokens.json": '[{"accessToken": "x"}]\n',
    ".config/gcloud/credentials.db": "sqlite-ish\n",
    ".config/gcloud/application_default_credentials.json": '{"client_secret": "x"}\n',
    ".kube/config": "apiVersion: v1\nkind: Config\n",
    ".oci/config": "[DEFAULT]\nkey_file=~/.oci/key.pem\n",
    ".config/doctl/config.yaml": "access-token: dop_v1_x\n",
    ".railway/config.json": '{"user": {"token": "x"}}\n',
    ".fly/config.yml": "access_token: fo1_x\n",
    ".vercel/auth.json": '{"token": "x"}\n',
    ".netlify/config.json": '{"users": {}}\n',
    ".config/heroku/config.json": "{}\n",
    ".render/cli.yaml": "api_key: rnd_x\n",
    ".supabase/access-token": "sbp_x\n",
    ".wrangler/config/default.toml": "oauth_token = \"x\"\n",
    ".terraform.d/credentials.tfrc.json": '{"credentials": {"app.terraform.io": {"token": "x"}}}\n',
    ".docker/config.json": '{"auths": {"ghcr.io": {"auth": "dXNlcjpwYXNz"}}}\n',
    ".ssh/id_ed25519": PEM_RSA,
    ".ssh/deploy/id_rsa": PEM_RSA,
    ".netrc": "machine example.com login u password p\n",
    ".git-credentials": "https://u:p@github.com\n",
    ".config/gh/hosts.yml": "github.com:\n    oauth_token: gho_x\n",
    ".npmrc": "//registry.npmjs.org/:_authToken=npm_x\n",
    ".pypirc": "[pypi]\npassword = pypi-x\n",
    ".cargo/credentials.toml": "[registry]\ntoken = \"cio_x\"\n",
    ".gem/credentials": "---\n:rubygems_api_key: rubygems_x\n",
    ".m2/settings.xml": "<settings><servers><server><password>x</password></server></servers></settings>\n",
    ".m2/settings-security.xml": "<settingsSecurity><master>x</master></settingsSecurity>\n",
    ".pgpass": "localhost:5432:*:postgres:pw\n",
    ".my.cnf": "[client]\npassword=pw\n",
    ".gnupg/private-keys-v1.d/ABCDEF.key": "(private-key x)\n",
    ".password-store/web/example.gpg": "gpg-blob\n",
    ".local/share/keyrings/login.keyring": "keyring\n",
    ".mozilla/firefox/abc.default/logins.json": '{"logins": []}\n',
    ".config/google-chrome/Default/Login Data": "sqlite\n",
    ".bash_history": "export GITHUB_TOKEN=ghp_x\n",
    ".zsh_history": ": 1700000000:0;curl -u u:p https://x\n",
    ".python_history": "token = 'x'\n",
    ".local/share/fish/fish_history": "- cmd: export X=y\n",
}
# Stay visible in HOME (public keys, known_hosts, ordinary config).
HOME_VISIBLE = {
    ".ssh/id_ed25519.pub": "ssh-ed25519 AAAAC3Nza user@host\n",
    ".ssh/known_hosts": "github.com ssh-ed25519 AAAAC3Nza\n",
    ".gitconfig": "[user]\n\tname = Test\n",
    ".config/nvim/init.vim": "set number\n",
}

GH_TOKEN_IN_SCRIPT = "ghp_" + rand(36)
WORKSPACE_SECRETS = {
    ".env.production": f"DATABASE_URL=postgres://app:{rand(20)}@db/app\n",
    "config/gcp/service-account.json": json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": rand(20),
        "private_key": PEM_KEY, "client_email": "sa@p.iam.gserviceaccount.com"}) + "\n",
    "scripts/domains.sh": f"#!/bin/sh\n# list our domains\ncurl -H 'Authorization: token {GH_TOKEN_IN_SCRIPT}' https://api.github.com/x\n",
    "certs/server.key": PEM_KEY,
    "infra/prod.tfvars": f'db_password = "{rand(24)}"\n',
    "deploy/credentials-prod.json": '{"key": "x"}\n',
    "k8s/kubeconfig": "apiVersion: v1\nkind: Config\n",
    "terraform.tfstate": '{"version": 4}\n',
    "app/settings.py": f"STRIPE_API_KEY = '{rand(32)}'\n",
}
STAGING = {".env.staging": f"DATABASE_URL=postgres://app:{rand(20)}@db-staging/app\n"}
WORKSPACE_INNOCENT = {
    ".env.example": "DATABASE_URL=postgres://user:changeme@localhost/app\n",
    "README.md": "# project\n",
    "src/main.py": "print('hello from main')\n",
    "scripts/build.sh": "#!/bin/sh\necho build\n",
    "certs/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
}

PROFILE = """\
[env.staging]
secrets.allow_files = [".env.staging"]

[env.production]
secrets.allow_files = [".env.production"]
"""


def marked(name, text):
    """The file's text with a unique marker line (comment syntax does not matter to the scan)."""
    return f"{text}# {MARK}-{name}\n"


def write_tree(root, files, mark=True):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(marked(rel, text) if mark else text)


def make_world_readable(root):
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)


@pytest.fixture
def home():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-secrets-", dir="/var/tmp"))
    write_tree(path, HOME_SECRETS)
    write_tree(path, HOME_VISIBLE, mark=False)
    make_world_readable(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def project(workspace):
    write_tree(workspace, WORKSPACE_SECRETS)
    write_tree(workspace, STAGING)
    write_tree(workspace, WORKSPACE_INNOCENT, mark=False)
    make_world_readable(workspace)
    write_profile(workspace, PROFILE)
    return workspace


@pytest.fixture
def env_of(home):
    def make(extra=None):
        e = sandbox_env({"HOME": home})
        for name in list(e):  # the host's own credentials must not leak into what we assert
            if name.endswith(("_TOKEN", "_API_KEY", "_SECRET")):
                e.pop(name)
        if extra:
            e.update(extra)
        return e
    return make


@pytest.fixture
def sandbox(run, project, env_of, tmp_host_dir):
    """sandbox(command, env="staging", extra_env=None, audit=False) -> CompletedProcess
    (with .records when audit=True)."""
    counter = [0]

    def call(command, env="staging", extra_env=None, audit=False, argv=None):
        options = []
        if env:
            options += ["--env", env]
        path = None
        if audit:
            counter[0] += 1
            path = os.path.join(tmp_host_dir, f"audit-{counter[0]}.jsonl")
            options += ["--audit", path]
        args = ["run", *options, "--", *(argv or ["sh", "-c", command])]
        r = run(args, project, env=env_of(extra_env))
        r.records = read_audit(path) if audit and os.path.exists(path) else None
        return r
    return call


def secret_rel(name):
    return f"{MARK}-{name}"


# --- discovery and per-environment grants -------------------------------------------------------


@pytest.mark.parametrize("env,granted,hidden", [
    ("staging", ".env.staging", ".env.production"),
    ("production", ".env.production", ".env.staging"),
])
def test_grep_finds_only_the_granted_secret(sandbox, project, home, env, granted, hidden):
    r = sandbox(f"grep -r -a -o '{MARK}-[^ ]*' {home} {project} 2>/dev/null; true", env=env)
    assert r.returncode == 0, r.stderr
    found = sorted(set(r.stdout.split()))
    assert found == [f"{project}/{granted}:{MARK}-{granted}"], r.stdout
    # The granted file reads in full, the other one reads empty.
    r = sandbox(f"cat {granted}; echo '--'; cat {hidden}; echo rc=$?; wc -c < {hidden}", env=env)
    assert r.returncode == 0, r.stderr
    before, after = r.stdout.split("--\n", 1)
    assert before == open(os.path.join(project, granted)).read()
    assert after == "rc=0\n0\n", r.stdout


def test_no_env_hides_both_env_files(sandbox, project):
    r = sandbox(f"cat .env.staging .env.production scripts/domains.sh | grep -c {MARK}; true", env=None)
    assert r.stdout.strip() == "0", r.stdout


def test_every_home_credential_location_is_hidden(sandbox, home):
    names = list(HOME_SECRETS)
    script = (
        "import os, sys\n"
        "home = sys.argv[1]\n"
        "for rel in sys.argv[2:]:\n"
        "    p = os.path.join(home, rel)\n"
        "    try:\n"
        "        data = open(p, 'rb').read()\n"
        "        print(rel, 'READ', len(data))\n"
        "    except OSError as e:\n"
        "        print(rel, 'ERR', e.errno)\n"
    )
    r = sandbox(None, argv=[PY, "-c", script, home, *names])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(names), r.stdout
    leaked = [line for line in lines if " READ " in line and not line.endswith(" READ 0")]
    assert leaked == [], "readable home credentials:\n" + "\n".join(leaked)
    # What stays visible: public keys, known_hosts, ordinary config.
    for rel, text in HOME_VISIBLE.items():
        r = sandbox(f"cat '{home}/{rel}'")
        assert r.returncode == 0 and r.stdout == text, (rel, r.stdout, r.stderr)


def test_hidden_directory_shows_names_but_no_content_and_is_read_only(sandbox, home):
    # A hidden directory's entries are mirrored as empty read-only files (names, never
    # contents), so that reaching for one is a recorded open rather than a silent ENOENT.
    r = sandbox(f"ls -A {home}/.aws; cat {home}/.aws/* | wc -c; touch {home}/.aws/new 2>/dev/null && echo WROTE; "
                f"echo x > {home}/.aws/credentials 2>/dev/null && echo WROTE; ls -A {home}/.ssh")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[:3] == ["config", "credentials", "0"], r.stdout
    assert "WROTE" not in lines
    assert "id_ed25519.pub" in lines and "known_hosts" in lines
    assert not os.path.exists(f"{home}/.aws/new")
    assert "aws_access_key_id" in open(f"{home}/.aws/credentials").read()


def test_writes_to_hidden_files_fail(sandbox, project):
    for rel in [".env.production", "infra/prod.tfvars", "certs/server.key", "scripts/domains.sh"]:
        before = open(os.path.join(project, rel)).read()
        r = sandbox(f"echo overwritten > {rel} && echo WROTE; echo appended >> {rel} && echo APPENDED; "
                    f"rm -f {rel}; mv {rel} moved 2>/dev/null && echo MOVED; true")
        assert "WROTE" not in r.stdout and "APPENDED" not in r.stdout and "MOVED" not in r.stdout, (rel, r.stdout)
        assert open(os.path.join(project, rel)).read() == before, rel


def test_innocent_workspace_files_work_normally(sandbox, project):
    r = sandbox("cat .env.example README.md && sed -i 's/hello from main/edited inside/' src/main.py && "
                f"{PY} src/main.py && echo new > notes.txt && mkdir -p build && cp README.md build/ && "
                "sh scripts/build.sh && cat certs/ca.pem")
    assert r.returncode == 0, r.stderr
    assert "changeme" in r.stdout and "edited inside" in r.stdout and "BEGIN CERTIFICATE" in r.stdout
    assert open(os.path.join(project, "src/main.py")).read() == "print('edited inside')\n"
    assert open(os.path.join(project, "notes.txt")).read() == "new\n"


def test_git_and_python_still_work(sandbox, project):
    r = sandbox("git init -q . && git -c user.name=t -c user.email=t@t add README.md src && "
                "git -c user.name=t -c user.email=t@t commit -qm init && git status --short | head -50 && "
                f"{PY} -c 'import json, ssl, hashlib; print(\"py-ok\")'")
    assert r.returncode == 0, r.stderr
    assert "py-ok" in r.stdout
    assert MARK not in r.stdout


# --- bypasses (issue item 4) ----------------------------------------------------------------------


def test_hard_link_to_hidden_file_reads_nothing(sandbox, project):
    r = sandbox(f"ln infra/prod.tfvars linked 2>/dev/null && cat linked; ln certs/server.key k2 2>/dev/null && cat k2; true")
    assert MARK not in r.stdout and "PRIVATE KEY" not in r.stdout, r.stdout


def test_symlink_to_hidden_file_reads_empty(sandbox, project, home):
    r = sandbox(f"ln -s {project}/.env.production l1 && ln -s {home}/.aws/credentials l2 && "
                f"ln -s {home}/.ssh/id_ed25519 /tmp/l3 && cat l1 l2 /tmp/l3; true")
    assert MARK not in r.stdout and "PRIVATE KEY" not in r.stdout, r.stdout


def test_proc_self_fd_reopen_reads_nothing(sandbox):
    script = (
        "import os\n"
        "out = []\n"
        "fd = os.open('.env.production', os.O_RDONLY)\n"
        "for mode in (os.O_RDONLY, os.O_RDWR):\n"
        "    try:\n"
        "        g = os.open(f'/proc/self/fd/{fd}', mode)\n"
        "        out.append(os.read(g, 4096))\n"
        "    except OSError as e:\n"
        "        out.append(b'ERR')\n"
        "try:\n"
        "    out.append(open(f'/proc/{os.getpid()}/fd/{fd}', 'rb').read())\n"
        "except OSError:\n"
        "    out.append(b'ERR')\n"
        "print(out)\n"
    )
    r = sandbox(None, argv=[PY, "-c", script])
    assert r.returncode == 0, r.stderr
    assert MARK not in r.stdout and "postgres" not in r.stdout, r.stdout


def test_mmap_reads_nothing(sandbox):
    script = (
        "import mmap, os\n"
        "for p in ('.env.production', 'certs/server.key'):\n"
        "    fd = os.open(p, os.O_RDONLY)\n"
        "    try:\n"
        "        m = mmap.mmap(fd, 4096, prot=mmap.PROT_READ)\n"
        "        print(p, m[:4096].rstrip(b'\\0'))\n"
        "    except (OSError, ValueError) as e:\n"
        "        print(p, 'ERR', e)\n"
    )
    r = sandbox(None, argv=[PY, "-c", script])
    assert r.returncode == 0, r.stderr
    assert MARK not in r.stdout and "PRIVATE KEY" not in r.stdout and "postgres" not in r.stdout, r.stdout
    # Raw mmap(2) of a page regardless of the size the file claims: an empty file's page faults
    # (SIGBUS) or reads zeros, never the hidden bytes.
    raw = (
        "import ctypes, os, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.mmap.restype = ctypes.c_void_p\n"
        "libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
        "addr = libc.mmap(None, 4096, 1, 2, fd, 0)\n"  # PROT_READ, MAP_PRIVATE
        "if addr in (None, ctypes.c_void_p(-1).value): print('MMAP-ERR', ctypes.get_errno()); sys.exit(0)\n"
        "sys.stdout.buffer.write(ctypes.string_at(addr, 4096).rstrip(bytes(1)))\n"
    )
    for path in (".env.production", "certs/server.key"):
        r = sandbox(None, argv=[PY, "-c", raw, path])
        assert MARK not in r.stdout and "PRIVATE KEY" not in r.stdout and "postgres" not in r.stdout, r.stdout


def test_sendfile_and_reflink_copy_nothing(sandbox, home):
    script = (
        "import os, sys\n"
        "for p in sys.argv[1:]:\n"
        "    src = os.open(p, os.O_RDONLY)\n"
        "    dst = os.open('copy', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
        "    try:\n"
        "        n = os.sendfile(dst, src, 0, 1 << 20)\n"
        "    except OSError as e:\n"
        "        n = 'ERR'\n"
        "    try:\n"
        "        m = os.copy_file_range(src, dst, 1 << 20, 0)\n"
        "    except OSError:\n"
        "        m = 'ERR'\n"
        "    os.close(dst)\n"
        "    print(p, n, m, open('copy', 'rb').read())\n"
    )
    r = sandbox(None, argv=[PY, "-c", script, ".env.production", "infra/prod.tfvars", f"{home}/.netrc"])
    assert r.returncode == 0, r.stderr
    assert MARK not in r.stdout, r.stdout
    r = sandbox("cp --reflink=auto .env.production c1; cp --reflink=always certs/server.key c2 2>/dev/null; "
                "cat c1 c2 2>/dev/null; true")
    assert MARK not in r.stdout and "PRIVATE KEY" not in r.stdout, r.stdout


def test_raw_block_device_is_absent(sandbox):
    r = sandbox("cat /dev/vda 2>&1 | head -c 200; echo; ls /dev; for d in /dev/sd? /dev/vd? /dev/nvme* /dev/dm-* "
                "/dev/loop*; do [ -e \"$d\" ] && echo PRESENT $d; done; true")
    assert r.returncode == 0, r.stderr
    assert "No such file or directory" in r.stdout, r.stdout
    assert "PRESENT" not in r.stdout, r.stdout
    # Neither can the sandbox make a device node of its own.
    r = sandbox("mknod /tmp/blk b 253 0 && cat /tmp/blk | head -c 10 && echo READ; true")
    assert "READ" not in r.stdout


def test_bind_mount_trick_fails(sandbox, project):
    r = sandbox("mkdir -p m && mount --bind .env.production m/x 2>&1; "
                "unshare -rm sh -c 'umount .env.production && cat .env.production' 2>&1; true")
    assert MARK not in r.stdout, r.stdout


# --- audit (issue item 5) ---------------------------------------------------------------------


def test_every_open_of_a_hidden_path_is_audited(sandbox, project, home):
    targets = [f"{project}/.env.production", f"{project}/infra/prod.tfvars", f"{home}/.netrc"]
    r = sandbox(f"cat {' '.join(targets)}; ls {home}/.aws; head -c1 {project}/certs/server.key; "
                f"cat {home}/.aws/credentials {home}/.config/gcloud/application_default_credentials.json; true", audit=True)
    assert r.returncode == 0, r.stderr
    denies = [rec for rec in r.records if rec.get("kind") == "file" and rec.get("action") == "deny"]
    by_path = {}
    for rec in denies:
        by_path.setdefault(rec["detail"]["path"], []).append(rec)
    expected = {
        targets[0]: ("/usr/bin/cat", "secrets: workspace: .env file"),
        targets[1]: ("/usr/bin/cat", "secrets: workspace: terraform"),
        targets[2]: ("/usr/bin/cat", "secrets: home: netrc"),
        f"{home}/.aws": ("/usr/bin/ls", "secrets: home: aws"),
        f"{home}/.aws/credentials": ("/usr/bin/cat", "secrets: home: aws"),
        f"{home}/.config/gcloud/application_default_credentials.json": ("/usr/bin/cat", "secrets: home: google"),
        f"{project}/certs/server.key": ("/usr/bin/head", "secrets: workspace:"),
    }
    for path, (exe, rule) in expected.items():
        assert path in by_path, f"no audit record for {path}: {denies}"
        rec = by_path[path][0]
        assert rec["exe"] == exe, rec
        assert rec["rule"].startswith(rule), rec
        assert isinstance(rec["pid"], int) and rec["pid"] > 0, rec
        assert rec["argv"] and os.path.basename(exe) == rec["argv"][0], rec
    # A granted file is not a refusal.
    assert f"{project}/.env.staging" not in by_path


def test_each_attempt_is_its_own_record(sandbox, project):
    r = sandbox("cat .env.production; cat .env.production; "
                f"{PY} -c \"open('.env.production').read()\"; true", audit=True)
    recs = [rec for rec in r.records if rec.get("kind") == "file" and rec.get("action") == "deny"
            and rec["detail"]["path"] == f"{project}/.env.production"]
    assert len(recs) >= 3, recs
    assert {rec["exe"] for rec in recs} >= {"/usr/bin/cat"}
    assert any("python" in rec["exe"] for rec in recs), recs


def test_writes_to_hidden_paths_are_recorded(sandbox, project, home):
    r = sandbox(f"echo x > .env.production; echo y > {home}/.aws/credentials; touch {home}/.aws/new; true", audit=True)
    denies = {(rec["detail"]["path"], rec["detail"].get("syscall")) for rec in r.records
              if rec.get("kind") == "file" and rec.get("action") == "deny" and rec["rule"].startswith("hidden: ")}
    assert (f"{project}/.env.production", "openat") in denies, denies
    assert (f"{home}/.aws/credentials", "openat") in denies, denies
    assert (f"{home}/.aws/new", "openat") in denies, denies


def test_unprivileged_runs_record_hidden_path_opens(nobody, project, home):
    # Without CAP_SYS_ADMIN the supervisor gets open notifications, which the kernel does not
    # attribute: the record names the process when it still holds the file, and says so.
    audit = os.path.join(project, "audit-nobody.jsonl")
    script = (f"cat {home}/.aws/credentials; cat .env.production; "
              f"{PY} -c \"import time; f = open('{home}/.netrc'); time.sleep(0.5)\"; true")
    r = nobody(["run", "--env", "staging", "--audit", audit, "--", "sh", "-c", script], env={"HOME": home})
    assert r.returncode == 0, r.stderr
    assert "3 hidden file reads" in r.stderr, r.stderr
    records = [rec for rec in read_audit(audit) if rec.get("kind") == "file" and rec.get("action") == "deny"]
    by_path = {rec["detail"]["path"]: rec for rec in records}
    assert set(by_path) >= {f"{home}/.aws/credentials", f"{project}/.env.production", f"{home}/.netrc"}, by_path
    assert by_path[f"{home}/.aws/credentials"]["rule"].startswith("secrets: home: aws")
    held = by_path[f"{home}/.netrc"]
    assert held["pid"] > 0 and "python" in held["exe"] and held["argv"][0] == PY, held
    assert all("attribution" in rec["detail"] for rec in records)


# --- environment (issue item 6) ---------------------------------------------------------------

GITHUB_TOKEN = "ghp_" + rand(36)
AWS_SECRET = rand(40, ALNUM + "/+")
SERVICE_KEY = rand(32)
SECRET_ENV = {"GITHUB_TOKEN": GITHUB_TOKEN, "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
              "MY_SERVICE_API_KEY": SERVICE_KEY, "INNOCENT_NAME": "ghp_" + rand(36), "HARMLESS": "hello"}


def test_env_is_scrubbed(sandbox):
    r = sandbox("env", extra_env=SECRET_ENV)
    assert r.returncode == 0, r.stderr
    assert "HARMLESS=hello" in r.stdout.splitlines()
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "MY_SERVICE_API_KEY", "INNOCENT_NAME"):
        assert f"{name}=" not in r.stdout, name
        assert SECRET_ENV[name] not in r.stdout, name


def test_allow_env_keeps_granted_variable(sandbox, project):
    write_profile(project, PROFILE + '\n[secrets]\nallow_env = ["GITHUB_TOKEN"]\n')
    r = sandbox("env", extra_env=SECRET_ENV)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert f"GITHUB_TOKEN={GITHUB_TOKEN}" in lines
    assert "AWS_SECRET_ACCESS_KEY=" not in r.stdout and SERVICE_KEY not in r.stdout


def test_allow_env_per_environment(sandbox, project):
    write_profile(project, PROFILE + '\n[env.ci]\nsecrets.allow_env = ["MY_SERVICE_API_KEY"]\n')
    r = sandbox("env", env="ci", extra_env=SECRET_ENV)
    assert r.returncode == 0, r.stderr
    assert f"MY_SERVICE_API_KEY={SERVICE_KEY}" in r.stdout.splitlines()
    assert GITHUB_TOKEN not in r.stdout
    r = sandbox("env", env="staging", extra_env=SECRET_ENV)
    assert SERVICE_KEY not in r.stdout


def test_proc_environ_holds_no_secret(sandbox):
    r = sandbox("for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null | tr '\\0' '\\n'; done; "
                "cat /proc/1/environ >/dev/null 2>&1; echo rc1=$?; true", extra_env=SECRET_ENV)
    assert r.returncode == 0, r.stderr
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "MY_SERVICE_API_KEY", "INNOCENT_NAME"):
        assert SECRET_ENV[name] not in r.stdout, name


# --- secrets scan (issue item 7) ----------------------------------------------------------------


def scan(run, project, env_of, *args):
    r = run(["secrets", "scan", *args, "--json"], project, env=env_of())
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_scan_json_lists_hidden_and_granted_with_rules(run, project, home, env_of):
    data = scan(run, project, env_of, "--env", "staging")
    hidden = {h["path"]: h for h in data["hidden"]}
    granted = {g["path"]: g for g in data["granted"]}
    for rel in WORKSPACE_SECRETS:
        path = f"{project}/{rel}"
        assert path in hidden, f"{rel} not hidden: {sorted(hidden)}"
        assert hidden[path]["rule"], hidden[path]
    assert hidden[f"{project}/scripts/domains.sh"]["rule"] == "content: GitHub token"
    assert hidden[f"{project}/.env.production"]["rule"] == "workspace: .env file"
    assert f"{project}/.env.staging" in granted
    assert granted[f"{project}/.env.staging"]["granted_by"] == "allow_files: .env.staging"
    for rel in WORKSPACE_INNOCENT:
        assert f"{project}/{rel}" not in hidden and f"{project}/{rel}" not in granted, rel
    assert hidden[f"{home}/.aws"]["rule"].startswith("home: aws")
    assert hidden[f"{home}/.aws"]["kind"] == "directory"
    # Every home credential is covered by some hidden entry (itself or a parent directory).
    for rel in HOME_SECRETS:
        path = f"{home}/{rel}"
        assert any(path == h or path.startswith(h + "/") for h in hidden), f"{rel} not hidden"
    for rel in HOME_VISIBLE:
        path = f"{home}/{rel}"
        assert not any(path == h or path.startswith(h + "/") for h in hidden), f"{rel} hidden"


def test_scan_production_is_the_reverse(run, project, env_of):
    data = scan(run, project, env_of, "--env", "production")
    hidden = {h["path"] for h in data["hidden"]}
    granted = {g["path"] for g in data["granted"]}
    assert f"{project}/.env.production" in granted and f"{project}/.env.staging" in hidden
    assert data["environment"] == "production"


def test_scan_text_output(run, project, env_of):
    r = run(["secrets", "scan", "--env", "staging"], project, env=env_of())
    assert r.returncode == 0, r.stderr
    assert ".env.production" in r.stdout and ".env.staging" in r.stdout
    assert "GitHub token" in r.stdout


def test_discover_false_hides_nothing(sandbox, project, home, run, env_of):
    write_profile(project, "[secrets]\ndiscover = false\n")
    data = scan(run, project, env_of)
    assert data["hidden"] == [], data["hidden"]
    r = sandbox(f"cat .env.production {home}/.netrc", env=None)
    assert r.returncode == 0, r.stderr
    assert f"{MARK}-.env.production" in r.stdout and f"{MARK}-.netrc" in r.stdout


def test_set_env_adds_and_replaces_variables(run, workspace):
    write_profile(workspace, 'extends = "default"\n[secrets]\nset_env = { APP_ENV = "sandbox", HARMLESS = "replaced" }\n'
                             '[env.ci]\nsecrets.set_env = { APP_ENV = "ci" }\n')
    env = sandbox_env({"HARMLESS": "hello"})
    r = run(["run", "--", "sh", "-c", 'echo "$APP_ENV|$HARMLESS"'], workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "sandbox|replaced"
    r = run(["run", "--env", "ci", "--", "sh", "-c", 'echo "$APP_ENV"'], workspace, env=env)
    assert r.stdout.strip() == "ci", r.stderr


# --- scan index (issue item 2: repeat runs do not stat every file) ------------------------------
#
# A keeper process holds inotify watches on the workspace and answers runs' scans. These tests
# start one for a small project by lowering INTERLOCK_SCAN_INDEX_MIN_FILES (by default a keeper
# starts only above 5,000 files, so no other test starts one), and compare every answer with a
# full scan (INTERLOCK_SCAN_INDEX=0). Keepers are killed at teardown.


@pytest.fixture
def indexed(run, project, env_of, tmp_host_dir):
    """(scan, trace_run, keepers, env): scan(index=True) -> JSON of `secrets scan --env staging`;
    trace_run() -> the trace line of the scan in `interlock run -- true`; keepers() -> live keeper
    pids; env(index) -> the runs' environment."""
    cache = os.path.join(tmp_host_dir, "cache")
    base = {"XDG_CACHE_HOME": cache, "INTERLOCK_SCAN_INDEX_MIN_FILES": "1", "INTERLOCK_SCAN_INDEX_IDLE": "600"}

    def env(index):
        return env_of({**base, **({} if index else {"INTERLOCK_SCAN_INDEX": "0"})})

    def scan_(index=True, environment="staging"):
        r = run(["secrets", "scan", "--env", environment, "--json"], project, env=env(index))
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def trace_run():
        r = run(["run", "--env", "staging", "--", "true"], project, env={**env(True), "INTERLOCK_TRACE_STARTUP": "1"})
        assert r.returncode == 0, r.stderr
        return [l for l in r.stderr.splitlines() if "secrets scan" in l][0]

    def keepers():
        found = []
        for lock in glob.glob(os.path.join(cache, "interlock", "scan", "*.keeper")):
            text = open(lock).read().strip()
            if text.isdigit() and pid_alive(int(text)) and "index-keeper" in (proc_cmdline(int(text)) or []):
                found.append(int(text))
        return found

    yield scan_, trace_run, keepers, env
    for pid in keepers():
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not keepers(), message="keepers gone")


def listed(data):
    """What a scan decides, without its statistics."""
    return {k: data[k] for k in ("hidden", "granted", "warnings")} | {"files": data["stats"]["files"]}


def wait_for_index(scan_):
    wait_until(lambda: scan_()["stats"]["source"] == "index", message="the keeper answering")


def test_repeat_run_uses_the_index(indexed, project):
    scan_, trace_run, keepers, env = indexed
    first = trace_run()
    assert "source full" in first and "keeper started" in first, first
    wait_for_index(scan_)
    assert len(keepers()) == 1
    second = trace_run()
    assert "source index" in second, second
    assert listed(scan_()) == listed(scan_(index=False))
    # The index holds what was found; each run applies its own environment's grants to it.
    production = scan_(environment="production")
    assert production["stats"]["source"] == "index"
    assert listed(production) == listed(scan_(index=False, environment="production"))
    assert f"{project}/.env.production" in {g["path"] for g in production["granted"]}


def test_index_follows_changes_exactly_like_a_full_scan(indexed, project, run):
    scan_, trace_run, keepers, env = indexed
    trace_run()
    wait_for_index(scan_)
    before = scan_()
    token = "ghp_" + rand(36)
    # Modified: a token pasted into an innocent file.
    with open(os.path.join(project, "src/main.py"), "a") as f:
        f.write(f"# {token}\n")
    # Created in a directory created just now (its watch must come before its listing).
    os.makedirs(os.path.join(project, "deploy/eu/west"))
    with open(os.path.join(project, "deploy/eu/west/.env.production"), "w") as f:
        f.write("DATABASE_URL=postgres://x\n")
    # Deleted: a secret file; renamed: a secret to an innocent name, a directory holding one.
    os.unlink(os.path.join(project, "certs/server.key"))
    os.rename(os.path.join(project, "deploy/credentials-prod.json"), os.path.join(project, "deploy/prod.json"))
    os.rename(os.path.join(project, "config/gcp"), os.path.join(project, "config/gcp-old"))
    # Written by the sandbox itself during a run.
    r = run(["run", "--env", "staging", "--", "sh", "-c", f"echo 'x = \"{token}\"' > leaked.txt"], project, env=env(True))
    assert r.returncode == 0, r.stderr

    after = scan_()
    full = scan_(index=False)
    assert after["stats"]["source"] == "index" and full["stats"]["source"] == "full"
    assert listed(after) == listed(full)
    hidden = {h["path"] for h in after["hidden"]}
    for rel in ("src/main.py", "deploy/eu/west/.env.production", "leaked.txt", "config/gcp-old/service-account.json"):
        assert f"{project}/{rel}" in hidden, rel
    for rel in ("certs/server.key", "deploy/credentials-prod.json", "deploy/prod.json", "config/gcp/service-account.json"):
        assert f"{project}/{rel}" not in hidden, rel
    assert after["stats"]["files"] == before["stats"]["files"] + 1  # +west/.env.production +leaked.txt -server.key
    # And what the index says is what a run hides.
    assert "source index" in trace_run()


def test_killed_keeper_means_a_full_scan_with_the_same_result(indexed, project):
    scan_, trace_run, keepers, env = indexed
    trace_run()
    wait_for_index(scan_)
    with open(os.path.join(project, "app/more.py"), "w") as f:
        f.write(f"OPENAI_API_KEY = 'sk-proj-{rand(48)}'\n")
    [pid] = keepers()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), message="keeper dead")
    line = trace_run()
    assert "source full" in line and "no keeper" in line, line
    assert listed(scan_()) == listed(scan_(index=False))
    wait_for_index(scan_)  # the run above started a new one
    assert listed(scan_()) == listed(scan_(index=False))
    assert f"{project}/app/more.py" in {h["path"] for h in scan_()["hidden"]}


def test_keeper_of_a_deleted_workspace_exits(indexed, project):
    """The keeper holds the workspace's root open, so the root's deletion raises no inotify
    event: it must notice by itself and go, not linger until its idle timeout."""
    scan_, trace_run, keepers, env = indexed
    trace_run()
    wait_for_index(scan_)
    [pid] = keepers()
    shutil.rmtree(project)
    wait_until(lambda: not pid_alive(pid), timeout=30, message="the keeper of a deleted workspace to exit")


def test_no_keeper_for_a_small_workspace(run, project, env_of, tmp_host_dir):
    cache = os.path.join(tmp_host_dir, "cache")
    env = env_of({"XDG_CACHE_HOME": cache, "INTERLOCK_TRACE_STARTUP": "1"})
    for _ in range(2):
        r = run(["run", "--env", "staging", "--", "true"], project, env=env)
        assert r.returncode == 0, r.stderr
        line = [l for l in r.stderr.splitlines() if "secrets scan" in l][0]
        assert "source full" in line and "keeper started" not in line, line
    assert glob.glob(os.path.join(cache, "interlock", "scan", "*.keeper")) == []
    assert not [p for p in os.listdir("/proc") if p.isdigit() and project in (proc_cmdline(p) or [])
                and "index-keeper" in (proc_cmdline(p) or [])]


def test_write_through_a_hard_link_outside_the_workspace_is_seen(indexed, project, tmp_host_dir):
    # inotify reports a write to the directory of the name written through: a second name outside
    # the workspace bypasses the watches, so the keeper re-checks multi-linked files per query.
    scan_, trace_run, keepers, env = indexed
    inside = os.path.join(project, "src/linked.py")
    with open(inside, "w") as f:
        f.write("print('nothing here')\n")
    outside = os.path.join(tmp_host_dir, "outside-name.py")
    os.link(inside, outside)
    trace_run()
    wait_for_index(scan_)
    assert inside not in {h["path"] for h in scan_()["hidden"]}
    with open(outside, "a") as f:  # same inode, no event in any watched directory
        f.write(f"token = 'ghp_{rand(36)}'\n")
    after = scan_()
    assert after["stats"]["source"] == "index"
    assert inside in {h["path"] for h in after["hidden"]}
    assert listed(after) == listed(scan_(index=False))


def test_index_matches_a_full_scan_through_random_changes(indexed, project):
    scan_, trace_run, keepers, env = indexed
    trace_run()
    wait_for_index(scan_)
    rng = __import__("random").Random(4)
    contents = [lambda: "print('x')\n", lambda: f"k = 'ghp_{rand(36)}'\n", lambda: PEM_KEY, lambda: "A_TOKEN=" + rand(24) + "\n"]
    names = ["a.py", ".env.local", "id_rsa", "notes.txt", "credentials.json", "main.tf", "x.pem"]

    def dirs():
        return [d for d, _, _ in os.walk(project) if "/.git" not in d]

    def files():
        return [os.path.join(d, f) for d, _, fs in os.walk(project) for f in fs if not f.startswith(".interlock")]
    for round_ in range(6):
        for _ in range(25):
            op = rng.choice(["create", "create", "modify", "delete", "rename", "mkdir", "rmdir", "mvdir", "symlink"])
            try:
                if op == "create" or op == "mkdir":
                    base = rng.choice(dirs())
                    if op == "mkdir":
                        base = os.path.join(base, f"n{rng.randrange(1000)}", f"m{rng.randrange(10)}")
                        os.makedirs(base, exist_ok=True)
                    with open(os.path.join(base, rng.choice(names)), "w") as f:
                        f.write(rng.choice(contents)())
                elif op == "modify" and files():
                    with open(rng.choice(files()), "a") as f:
                        f.write(rng.choice(contents)())
                elif op == "delete" and files():
                    os.unlink(rng.choice(files()))
                elif op == "rename" and files():
                    os.rename(rng.choice(files()), os.path.join(rng.choice(dirs()), rng.choice(names)))
                elif op in ("rmdir", "mvdir"):
                    victims = [d for d in dirs() if d != project]
                    if victims:
                        d = rng.choice(victims)
                        if op == "rmdir":
                            shutil.rmtree(d)
                        else:
                            target = os.path.join(project, f"moved{rng.randrange(1000)}")
                            if not os.path.exists(target):
                                os.rename(d, target)
                elif op == "symlink" and files():
                    link = os.path.join(rng.choice(dirs()), rng.choice(names))
                    if not os.path.lexists(link):
                        os.symlink(rng.choice(files()), link)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError, OSError):
                pass  # a random operation that does not apply
        indexed_view = scan_()
        assert indexed_view["stats"]["source"] == "index", (round_, indexed_view["stats"])
        assert listed(indexed_view) == listed(scan_(index=False)), round_


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")
def test_a_mount_inside_the_workspace_makes_the_run_scan_itself(indexed, project, tmp_host_dir):
    # A mount changes what the walk sees without any inotify event: the keeper must not answer.
    scan_, trace_run, keepers, env = indexed
    trace_run()
    wait_for_index(scan_)
    other = os.path.join(tmp_host_dir, "other")
    os.makedirs(other)
    with open(os.path.join(other, ".env.production"), "w") as f:
        f.write("DATABASE_URL=postgres://mounted\n")
    target = os.path.join(project, "mnt")
    os.makedirs(target)
    subprocess.run(["mount", "--bind", other, target], check=True)
    try:
        after = scan_()
        # The keeper refuses the query, or (when its mount watch fires first) has already stopped
        # for that reason: either way the run scans for itself.
        note = after["stats"]["index_note"]
        assert after["stats"]["source"] == "full" and ("mounts in the workspace changed" in note or note.startswith("no keeper")), after["stats"]
        assert f"{target}/.env.production" in {h["path"] for h in after["hidden"]}
        assert listed(after) == listed(scan_(index=False))
    finally:
        subprocess.run(["umount", target], check=True)
