#!/usr/bin/env python3
"""Offline checks of what deploys, beyond `sam validate --lint` and asl-validator.

  python3 tools/check_deploy.py <notify-reporting binary>

1. Every state machine in statemachines/ is deployed, with substitutions for every ${...} it
   uses; every Lambda ARN substitution is a function of the template.
2. Every Task has TimeoutSeconds and Retry, and no state reads an SSM SecureString into state
   data (no ssm:getParameter with WithDecryption).
3. No IAM statement has a wildcard action or resource, except the ones the AWS APIs require,
   listed below by Sid, each with its reason in the template.
4. The read-only policy grants exactly the catalog's staging tables and Power BI views, and only
   the user workgroup; the watchdog alarms are the catalog's (`notify-reporting catalog`).
Exits 1 naming every problem.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent

# Statements whose wildcard the AWS API requires (the template comments each one).
WILDCARD_ALLOWED = {
    "KeyPolicyRootAdministers",  # a key policy's resource is the key itself: always "*"
    "KeyPolicyLogsEncrypt",  # same: key policy
    "TlsOnly",  # a Deny on every S3 action without TLS
    "LogsDeliveryRequiresStar",  # Step Functions log delivery APIs take no resource ARN
    "PutMetricDataRequiresStar",  # PutMetricData has no resource-level permissions
}

problems = []


def problem(text):
    problems.append(text)


def statements(template):
    """Every IAM policy statement in the template, with where it is."""
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        docs = []
        for key in ("PolicyDocument", "KeyPolicy"):
            if key in props:
                docs.append(props[key])
        for policy in props.get("Policies", []) or []:
            if isinstance(policy, dict) and "PolicyDocument" in policy:
                docs.append(policy["PolicyDocument"])
        for doc in docs:
            for st in doc.get("Statement", []):
                yield name, st


def as_list(v):
    return v if isinstance(v, list) else [v]


def is_wildcard(value):
    return isinstance(value, str) and (value == "*" or value.endswith(":*"))


def check_state_machines(template):
    functions = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    deployed = {}
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::StateMachine":
            deployed[res["Properties"]["DefinitionUri"]] = (name, res["Properties"])
    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        rel = f"statemachines/{path.name}"
        if rel not in deployed:
            problem(f"{rel} is not deployed by template.yaml")
            continue
        name, props = deployed[rel]
        subs = props.get("DefinitionSubstitutions", {})
        text = path.read_text()
        for used in sorted(set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))):
            if used not in subs:
                problem(f"{name}: ${{{used}}} has no substitution")
        for key, value in subs.items():
            if key.endswith("FunctionArn"):
                target = value.get("Fn::GetAtt", [None])[0] if isinstance(value, dict) else None
                if target not in functions:
                    problem(f"{name}: {key} does not point at a function of the template")
        if props.get("Logging", {}).get("IncludeExecutionData") is not False:
            problem(f"{name}: logs execution data (hash key, ids) - set IncludeExecutionData: false")
        check_states(name, json.loads(text)["States"])


def check_states(machine, states):
    for state_name, st in states.items():
        if st.get("Type") == "Task":
            if "TimeoutSeconds" not in st:
                problem(f"{machine}/{state_name}: Task without TimeoutSeconds")
            if "Retry" not in st:
                problem(f"{machine}/{state_name}: Task without Retry")
            resource = st.get("Resource", "")
            params = json.dumps(st.get("Parameters", {}))
            if "ssm:getParameter" in resource and "WithDecryption" in params:
                problem(f"{machine}/{state_name}: reads an SSM SecureString into state data")
        for branch in st.get("Branches", []):
            check_states(machine, branch["States"])
        if "ItemProcessor" in st:
            check_states(machine, st["ItemProcessor"]["States"])


def check_iam(template):
    for where, st in statements(template):
        sid = st.get("Sid", "")
        wild = [a for a in as_list(st.get("Action", [])) if is_wildcard(a)]
        wild += [r for r in as_list(st.get("Resource", [])) if is_wildcard(r)]
        if wild and sid not in WILDCARD_ALLOWED:
            problem(f"{where}/{sid or 'statement without Sid'}: wildcard {wild}")


def sub_text(v):
    if isinstance(v, dict) and "Fn::Sub" in v:
        s = v["Fn::Sub"]
        return s if isinstance(s, str) else s[0]
    return v if isinstance(v, str) else json.dumps(v)


def check_catalog(template, catalog):
    res = template["Resources"]
    policy = res["ReadOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    granted = set()
    for st in policy:
        for r in as_list(st.get("Resource", [])):
            m = re.search(r":table/\$\{GlueDatabase\}/([a-z0-9_]+)$", sub_text(r))
            if m:
                granted.add(m.group(1))
        for r in as_list(st.get("Resource", [])):
            text = sub_text(r)
            if ":workgroup/" in text and "UserWorkgroup" not in text:
                problem(f"ReadOnlyPolicy grants a workgroup other than user: {text}")
            if "transaction_history" in text or "CoreDatabase" in text or "CoreAccountId" in text:
                problem(f"ReadOnlyPolicy reaches the core account or transaction_history: {text}")
    expected = set(catalog["tables"]) | {v["name"] for v in catalog["views"] if v["powerBi"]}
    if granted != expected:
        problem(
            f"ReadOnlyPolicy tables differ from the catalog: missing {sorted(expected - granted)}, "
            f"extra {sorted(granted - expected)}"
        )
    alarms = {}
    for name, r in res.items():
        if r["Type"] == "AWS::CloudWatch::Alarm":
            alarms[sub_text(r["Properties"]["AlarmName"])] = r["Properties"]
    for check in catalog["watchdog"]["checks"]:
        alarm_name = "${Project}-${Environment}-${Component}-" + check["alarmSuffix"]
        props = alarms.get(alarm_name)
        if props is None:
            problem(f"no alarm {alarm_name} for {check['metric']}")
            continue
        exprs = " ".join(sub_text(m.get("Expression", "")) for m in props.get("Metrics", []))
        if check["metric"] not in exprs or catalog["watchdog"]["namespace"] not in exprs:
            problem(f"{alarm_name} does not watch {catalog['watchdog']['namespace']}/{check['metric']}")
        if float(props["Threshold"]) != float(check["threshold"]):
            problem(f"{alarm_name}: threshold {props['Threshold']}, the catalog says {check['threshold']}")
        if props.get("TreatMissingData") != "notBreaching":
            problem(f"{alarm_name}: missing data must not breach")
    for sm in catalog["stateMachines"]:
        for suffix in ("executions-failed", "executions-timedout", "executions-aborted"):
            if "${Project}-${Environment}-${Component}-" + f"{sm}-{suffix}" not in alarms:
                problem(f"no {suffix} alarm for the {sm} state machine")


def main():
    binary = sys.argv[1]
    template, matches = decode(str(ROOT / "template.yaml"))
    if template is None:
        print(matches)
        return 1
    catalog = json.loads(subprocess.check_output([binary, "catalog"]))
    check_state_machines(template)
    check_iam(template)
    check_catalog(template, catalog)
    for p in problems:
        print(f"check_deploy: {p}")
    if problems:
        return 1
    print("check_deploy: state machines, IAM wildcards, grants and alarms agree with the catalog")
    return 0


if __name__ == "__main__":
    sys.exit(main())
