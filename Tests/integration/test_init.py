"""`interlock init` (issue 7): a starter .interlock.toml from what the project holds: the stack's
package registries, one [env.NAME] per .env.NAME file (granting only that file), the credentials
it will hide; never overwriting an existing profile without --force."""

import os
import shutil
import tempfile

import pytest

from conftest import sandbox_env


@pytest.fixture
def home():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-init-", dir="/var/tmp"))
    os.makedirs(os.path.join(path, ".aws"))
    with open(os.path.join(path, ".aws/credentials"), "w") as f:
        f.write("[default]\naws_secret_access_key = INIT-SECRET\n")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def touch(workspace, name, text=""):
    with open(os.path.join(workspace, name), "w") as f:
        f.write(text)


def test_detects_stack_environments_and_lists_hidden_credentials(run, workspace, home):
    touch(workspace, "package.json", "{}")
    touch(workspace, "requirements.txt", "requests\n")
    touch(workspace, ".env.staging", "API_URL=https://staging\n")
    touch(workspace, ".env.production", "API_URL=https://prod\n")
    touch(workspace, ".env.example", "API_URL=\n")
    env = sandbox_env({"HOME": home})
    r = run(["init"], workspace, env=env)
    assert r.returncode == 0, r.stderr
    text = open(os.path.join(workspace, ".interlock.toml")).read()
    assert "Node.js (npm)" in text and "Python (pip)" in text
    for host in ("registry.npmjs.org:443", "pypi.org:443", "files.pythonhosted.org:443"):
        assert f'"{host}"' in text
    assert "[env.staging]" in text and "[env.production]" in text and "[env.example]" not in text
    assert 'secrets.allow_files = [".env.staging"]' in text
    assert 'default_env = "staging"' in text  # never production by default
    # What it will hide, with the rule.
    assert f"{home}/.aws" in r.stdout and "aws" in r.stdout
    assert ".env.production" in r.stdout
    # The result is valid, approved, and runs: staging sees its file, not production's.
    r = run(["profile", "check"], workspace, env=env)
    assert r.returncode == 0, r.stderr
    r = run(["run", "--", "sh", "-c", "cat .env.staging .env.production"], workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "API_URL=https://staging\n"
    r = run(["run", "--env", "production", "--", "cat", ".env.staging", ".env.production"], workspace, env=env)
    assert r.stdout == "API_URL=https://prod\n"


def test_never_overwrites_without_force(run, workspace, home):
    touch(workspace, ".interlock.toml", 'extends = "strict"\n# mine\n')
    env = sandbox_env({"HOME": home})
    r = run(["init"], workspace, env=env)
    assert r.returncode == 1
    assert "--force" in r.stderr
    assert open(os.path.join(workspace, ".interlock.toml")).read() == 'extends = "strict"\n# mine\n'
    touch(workspace, "go.mod", "module x\n")
    r = run(["init", "--force"], workspace, env=env)
    assert r.returncode == 0, r.stderr
    text = open(os.path.join(workspace, ".interlock.toml")).read()
    assert "# mine" not in text and '"proxy.golang.org:443"' in text


def test_empty_project(run, workspace, home):
    r = run(["init"], workspace, env=sandbox_env({"HOME": home}))
    assert r.returncode == 0, r.stderr
    text = open(os.path.join(workspace, ".interlock.toml")).read()
    assert "no package manager" in text and "egress = []" in text and "[env." not in text
