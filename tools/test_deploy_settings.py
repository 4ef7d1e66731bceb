#!/usr/bin/env python3
"""tools/deploy-settings against the real template and samconfig.toml, and against planted
defects: a setting the file cannot make, a misspelt one, a required one missing, a value the
template refuses. The file it writes must reach sam deploy as the same settings.

  python3 tools/test_deploy_settings.py      (make deploy-check runs it, with the deploy venv)
"""

import copy
import importlib.machinery
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_loader = importlib.machinery.SourceFileLoader("deploy_settings", str(ROOT / "tools" / "deploy-settings"))
_spec = importlib.util.spec_from_loader("deploy_settings", _loader)
ds = importlib.util.module_from_spec(_spec)
_loader.exec_module(ds)

PARAMS = ds.template_parameters()
ENVS = ds.environments()
REQUIRED = {
    "CoreAccountId=123456789012",
    "CoreDatabase=comms-prod-api-database",
    "CoreSourceBucket=comms-123456789012-eu-west-2-prod-firehose",
    "CoreKmsKeyArn=arn:aws:kms:eu-west-2:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab",
    "HashKeyAdministratorArn=arn:aws:iam::123456789012:role/deployer",
}

failures = []


def expect(label, ok):
    if not ok:
        failures.append(label)


def raises(label, fn, says):
    try:
        fn()
    except ds.SettingsError as e:
        expect(f"{label}: said {e!s}", says in str(e))
        return
    failures.append(f"{label}: not refused")


def resolved(env, command_line, envs=ENVS):
    return {n: (v, s) for n, v, s in ds.resolve(env, command_line, PARAMS, envs)}


def main():
    # The real file: every environment sets every parameter, nothing else.
    expect("the real samconfig.toml passes the check", ds.check(PARAMS, ENVS) == [])
    # A parameter the template gains and the file does not set is named.
    more = dict(PARAMS, NewSetting={"Type": "String", "Default": ""})
    expect("a new parameter is named", any("cannot set NewSetting" in p for p in ds.check(more, ENVS)))
    fewer = {k: v for k, v in PARAMS.items() if k != "BatchClientIds"}
    expect("a setting the template lost is named", any("does not have: BatchClientIds" in p for p in ds.check(fewer, ENVS)))

    # Precedence: template default < samconfig.toml < command line; empty means unset.
    envs = copy.deepcopy(ENVS)
    envs["prod"]["BatchClientIds"] = '["client-a","client-b"]'
    envs["prod"]["SmsNudgeClientId"] = "nudge"
    r = resolved("prod", sorted(REQUIRED) + ["SmsNudgeClientId=other", "AlarmEmail="], envs)
    expect("samconfig value", r["BatchClientIds"] == ('["client-a","client-b"]', "samconfig.toml [prod]"))
    expect("command line wins", r["SmsNudgeClientId"] == ("other", "command line"))
    expect("empty is the default", r["AlarmEmail"] == ("", "template default"))
    expect("default", r["LogRetentionDays"][0] == "30")
    expect("every parameter resolved", set(r) == set(PARAMS))

    # Refusals, each naming the setting and where it came from.
    raises("misspelt on the command line", lambda: resolved("prod", sorted(REQUIRED) + ["BatchClientId=x"]), "BatchClientId (command line)")
    bad = copy.deepcopy(ENVS)
    bad["prod"]["EmailFilterClientId"] = '["x"]'
    raises("misspelt in the file", lambda: resolved("prod", sorted(REQUIRED), bad), "EmailFilterClientId (samconfig.toml [prod])")
    raises("required missing", lambda: resolved("prod", sorted(REQUIRED - {"CoreAccountId=123456789012"})), "CoreAccountId: required")
    raises("pattern", lambda: resolved("prod", sorted(REQUIRED) + ["CoreDatabase=it's"]), "CoreDatabase (command line)")
    raises("allowed values", lambda: resolved("prod", sorted(REQUIRED) + ["LogRetentionDays=2"]), "LogRetentionDays (command line)")
    raises("unknown environment", lambda: resolved("staging", sorted(REQUIRED)), "no [staging.deploy.parameters]")

    # What make deploy writes reaches sam deploy as the same settings (SAM's own parser).
    from samcli.cli.types import CfnParameterOverridesType

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "prod.yaml"
        code = ds.main(["prod", "--out", str(out)] + sorted(REQUIRED) + ['BatchClientIds=["a b","c,d"]'])
        expect("resolves", code == 0)
        written = json.loads(out.read_text()) if out.exists() else {}
        parsed = CfnParameterOverridesType().convert(f"file://{out}", None, None)
        expect(f"sam reads what was written: {parsed.get('BatchClientIds')!r}", parsed == written)
        expect("a JSON list arrives whole", parsed.get("BatchClientIds") == '["a b","c,d"]')

    if failures:
        print("test_deploy_settings:", *failures, sep="\n  ")
        return 1
    print("test_deploy_settings: the settings resolve, refuse and reach sam deploy as they should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
