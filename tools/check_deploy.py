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
5. Issue 19's defects, each as a check that fails if it comes back (docs/security.md lists what
   each control is and why it holds): the core key by key ARN (1), alarms that can notify (2),
   the hash key's own KMS key (3), retention and lifecycle (4), roles by purpose (5), workgroups,
   trusts and parameters (6), silence when nothing runs (7), in-query failures and commit
   conflicts rerun (8, 9), Fail states that name what failed and per-client report failures
   (10), Task timeouts against their Lambda's (11).
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
    "ListCatalogsAndWorkgroupsRequiresStar",  # Athena's List* of catalogs and workgroups: no resource
    "KeyPolicyCloudWatchAlarms",  # key policy
    "HashKeyPolicyAdministration",  # key policy
    "HashKeyPolicyAdministratorPutsPolicy",  # key policy
    "HashKeyPolicyBreakGlassWritesVault",  # key policy
    "HashKeyPolicyDecryptIngestionAndBreakGlass",  # key policy
    "HashKeyPolicyBreakGlassReadsOldParameter",  # key policy
    "HashKeyPolicyDenyEveryoneElse",  # key policy
    "ReadByIngestionAndBreakGlassOnly",  # a Deny on every principal but two
    "WrittenByBreakGlassOnly",  # a Deny on every principal but one
    "UploadsUnderHashKeyKeyOnly",  # a Deny on every principal
    "UploadsUnderStackKeyOnly",  # a Deny on every principal
    "UploadsUnderKmsOnly",  # a Deny on every principal
    "RecoveryPointsAreKept",  # a vault access policy's Deny on every principal
    "BackupMetricsAndRules",  # GetMetricData and ListRules take no resource ARN
}

# Service trusts without aws:SourceAccount, each with its reason (docs/security.md).
TRUSTS_WITHOUT_SOURCE_ACCOUNT = {
    "glue.amazonaws.com": "Glue column-statistics runs do not document the key; PassRole is limited to Glue instead",
}

# run-query is deployed once per purpose: the machines each function serves and the Athena
# workgroups its role may start queries in.
RUN_QUERY_PURPOSES = {
    "RunSetupQueryFunction": ({"setup"}, {"SetupWorkgroup"}),
    # verify-cutover too: its hash probe needs the key, which only this role may read.
    "RunIngestionQueryFunction": ({"ingestion", "backfill", "verify-cutover"}, {"IngestionWorkgroup"}),
    "RunHousekeepingQueryFunction": ({"housekeeping"}, {"HousekeepingWorkgroup"}),
    "RunReportQueryFunction": (
        {"watchdog", "completed-comms-report", "completed-batch-report", "batch-reports"},
        # A workgroup of their own: never the user workgroup Power BI users share and may stop
        # queries in.
        {"CoreWorkgroup"},
    ),
}
# The roles that may reach the core account (its bucket, Glue catalog, KMS key), and the only
# ones that may read the hash key.
CROSS_ACCOUNT_ROLES = {"RunIngestionQueryRole", "WriteReportRole"}
HASH_KEY_READERS = {"RunIngestionQueryRole", "HashKeyBreakGlassRole"}
# Lambdas whose Task may be retried when the Lambda itself timed out: starts carry a request
# token, polls and report steps are reads or idempotent writes. publish-metric is not (a
# PutMetricData repeated is a datum counted twice); it resumes by itself instead.
TIMEOUT_RETRY_SAFE = {"RunQueryFunctionArn", "PollQueryFunctionArn", "WriteReportFunctionArn"}
TIMEOUT_ERRORS = {"Lambda.Unknown", "Sandbox.Timedout"}
RERUN_ERRORS = {"Retryable.CommitConflict", "Retryable.QueryFailed"}
RETAINED = {"Key", "HashKeyKey", "DataBucket", "GlueDatabase"}

# What Power BI Desktop (Athena ODBC) calls to browse, as the running system grants it.
POWER_BI_BROWSE = {
    "athena:ListDataCatalogs",
    "athena:ListDatabases",
    "athena:ListTableMetadata",
    "athena:ListWorkGroups",
    "athena:GetDataCatalog",
    "athena:GetTableMetadata",
    "athena:GetDatabase",
    "athena:GetNamedQuery",
    # The ODBC driver's and the console's history of the user workgroup (its only workgroup).
    "athena:ListQueryExecutions",
    "athena:BatchGetQueryExecution",
    "glue:GetDatabases",
    "glue:BatchGetTable",
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
            for st in expand(doc.get("Statement", [])):
                yield name, st


def expand(statements_list):
    """Statements with each `Fn::If` replaced by both of its branches (a policy may differ by a
    condition; both must hold)."""
    out = []
    for st in statements_list:
        if isinstance(st, dict) and "Fn::If" in st:
            out += expand([b for b in st["Fn::If"][1:] if isinstance(b, dict)])
        else:
            out.append(st)
    return out


def as_list(v):
    return v if isinstance(v, list) else [v]


def is_wildcard(value):
    return isinstance(value, str) and (value == "*" or value.endswith(":*"))


QUERY_LOOP = "statemachines/query.asl.json"
START_EXECUTION_SYNC = "arn:aws:states:::states:startExecution.sync:2"


def machine_texts():
    """Every definition in statemachines/, by its path from the repository's root."""
    return {f"statemachines/{p.name}": p.read_text() for p in sorted((ROOT / "statemachines").glob("*.asl.json"))}


def check_state_machines(template, texts=None):
    """`texts`: the definitions by path (default: those in statemachines/)."""
    texts = machine_texts() if texts is None else texts
    functions = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    deployed = {}
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::StateMachine":
            deployed.setdefault(res["Properties"]["DefinitionUri"], []).append((name, res["Properties"]))
    loops = {name: props for name, props in deployed.get(QUERY_LOOP, [])}
    # The query loop is deployed once per run-query purpose, each loop invoking its own.
    loop_functions = sorted(
        props["DefinitionSubstitutions"]["RunQueryFunctionArn"]["Fn::GetAtt"][0] for props in loops.values()
    )
    if loop_functions != sorted(RUN_QUERY_PURPOSES):
        problem(f"the query loop is deployed for {loop_functions}, not once per run-query purpose")
    for rel, text in texts.items():
        if rel not in deployed:
            problem(f"{rel} is not deployed by template.yaml")
            continue
        for name, props in deployed[rel]:
            check_deployed_machine(template, functions, loops, text, rel, name, props)


def check_deployed_machine(template, functions, loops, text, rel, name, props):
    subs = props.get("DefinitionSubstitutions", {})
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
    definition = json.loads(text)
    machine = rel.split("/")[-1][: -len(".asl.json")]
    timeout = definition.get("TimeoutSeconds")
    if not isinstance(timeout, int) or timeout <= 0:
        # Item 7: without it an execution can run forever and the timed-out alarm never fires.
        problem(f"{rel}: no top-level TimeoutSeconds")
    timeouts = {
        key: function_timeout(template, value)
        for key, value in subs.items()
        if key.endswith("FunctionArn")
    }
    check_states(machine, definition["States"], timeouts)
    check_sync_timeouts(machine, definition["States"], nested_timeouts())
    check_machine_timeout(machine, definition)
    if rel == QUERY_LOOP:
        return
    # The machine's queries run in a loop whose run-query is its purpose's; its own run-query
    # (the input check, the ingestion plan) too.
    loop = subs.get("QueryStateMachineArn", {}).get("Ref")
    if START_EXECUTION_SYNC in text and loop not in loops:
        problem(f"{machine}: QueryStateMachineArn is not a deployed query loop")
    elif loop:
        check_run_query_purpose(machine, loops[loop]["DefinitionSubstitutions"])
    if "RunQueryFunctionArn" in subs:
        check_run_query_purpose(machine, subs)
    if machine.endswith("-report"):
        check_report_clients(machine, definition["States"])


def literal_lists(states):
    """Lists a Pass state sets from literals (the tables, the checks): their lengths by path."""
    lists = {}
    for st in states.values():
        if st.get("Type") == "Pass":
            for key, value in st.get("Parameters", {}).items():
                if isinstance(value, list):
                    lists[f"$.{key}"] = len(value)
    return lists


# poll-query's budget (PollPolicy's timeout_seconds): the waits of one query attempt.
POLL_BUDGET_SECONDS = 3600


def task_seconds(st):
    """A Task's longest time: every attempt its Retry allows, each cut at TimeoutSeconds, and the
    back-off between them. A nested execution's Task retries only a refused start (throttling,
    limits), so it runs at most once."""
    timeout = st.get("TimeoutSeconds", 60)
    attempts, delays = 1, 0.0
    if st.get("Resource") == START_EXECUTION_SYNC:
        attempts = 0
    for r in st.get("Retry", []):
        interval, rate, cap = r.get("IntervalSeconds", 1), r.get("BackoffRate", 2.0), r.get("MaxDelaySeconds")
        for k in range(r.get("MaxAttempts", 3)):
            attempts += 0 if st.get("Resource") == START_EXECUTION_SYNC else 1
            delay = interval * rate**k
            delays += min(delay, cap) if cap else delay
    if st.get("Resource") == START_EXECUTION_SYNC:
        return timeout + delays
    return attempts * timeout + delays


def longest_path_seconds(states, start, lists):
    """The longest way through one scope, in seconds: each Task at its longest, each Wait at its
    Seconds, each Map as rounds of its longest iteration (items from a literal list, MaxConcurrency
    at a time; a list from data, one round). A repeat (a back edge) is taken once."""
    best = {}

    def walk(name, on_path):
        if name is None or name not in states or name in on_path:
            return 0.0
        if name in best:
            return best[name]
        st = states[name]
        kind = st.get("Type")
        if kind == "Task":
            own = task_seconds(st)
        elif kind == "Wait":
            # A wait from the data is a query's poll back-off: its waits add up to the budget.
            own = st.get("Seconds", POLL_BUDGET_SECONDS if "SecondsPath" in st else 0)
        elif kind == "Map":
            proc = st["ItemProcessor"]
            inner = longest_path_seconds(proc["States"], proc["StartAt"], lists)
            items = lists.get(st.get("ItemsPath"), 1)
            concurrency = st.get("MaxConcurrency", 0) or items
            own = -(-items // concurrency) * inner
        elif kind == "Parallel":
            own = max(longest_path_seconds(b["States"], b["StartAt"], lists) for b in st["Branches"])
        else:
            own = 0
        nexts = [st.get("Next"), st.get("Default")] + [c.get("Next") for c in st.get("Choices", [])]
        nexts += [c.get("Next") for c in st.get("Catch", [])]
        then = max([walk(n, on_path | {name}) for n in nexts if n] or [0.0])
        best[name] = own + then
        return best[name]

    return walk(start, frozenset())


def check_machine_timeout(machine, definition):
    """Issue 34: an execution ends by its own states, naming what failed, never by its timeout
    (which ends it with no cause and leaves a query running)."""
    longest = longest_path_seconds(definition["States"], definition["StartAt"], literal_lists(definition["States"]))
    # The query loop's one repeat that is not cut short: a query rerun from its start, a bounded
    # number of times, each attempt as long as the first.
    rerun = definition["States"].get("Rerun Allowed?")
    if rerun:
        bound = max(c.get("NumericGreaterThanEquals", 0) for c in rerun["Choices"])
        longest *= bound + 1
    if not definition.get("TimeoutSeconds", 0) > longest:
        problem(f"{machine}: TimeoutSeconds {definition.get('TimeoutSeconds')} does not outlast its longest path, {longest:.0f} s")


# The machines a Task may start as nested executions, by the substitution that names them.
NESTED_MACHINES = {
    "${QueryStateMachineArn}": "query.asl.json",
    "${BatchReportsStateMachineArn}": "batch-reports.asl.json",
}


def nested_timeouts():
    return {
        placeholder: json.loads((ROOT / "statemachines" / name).read_text())["TimeoutSeconds"]
        for placeholder, name in NESTED_MACHINES.items()
    }


def check_sync_timeouts(machine, states, timeouts):
    """Issue 34: a Task that runs a nested execution (the query loop, a page of batch reports)
    outlasts that machine's own TimeoutSeconds, so the nested execution ends by its own Fail
    states (naming the query) and never leaves a query behind."""
    for name, st in states.items():
        if st.get("Resource") == START_EXECUTION_SYNC:
            target = st.get("Parameters", {}).get("StateMachineArn")
            if target not in timeouts:
                problem(f"{machine}/{name}: starts {target}, not a nested machine of ours")
            elif not st.get("TimeoutSeconds", 0) > timeouts[target]:
                problem(f"{machine}/{name}: TimeoutSeconds must exceed {target}'s {timeouts[target]} s")
        if "ItemProcessor" in st:
            check_sync_timeouts(machine, st["ItemProcessor"]["States"], timeouts)

def function_timeout(template, arn):
    """The Timeout of the function an ARN substitution points at (or the Globals' default)."""
    target = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
    res = template["Resources"].get(target, {})
    default = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    return res.get("Properties", {}).get("Timeout", default)


def reachable(states, start):
    """Every state of one scope reachable from `start` by Next, Choices and Default."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        st = states[name]
        todo += [st.get("Next"), st.get("Default")] + [c.get("Next") for c in st.get("Choices", [])]
        todo += [c.get("Next") for c in st.get("Catch", [])]
    return seen


def check_states(machine, states, timeouts):
    check_bound_counts(machine, states)
    for state_name, st in states.items():
        where = f"{machine}/{state_name}"
        if st.get("Type") == "Task":
            if "TimeoutSeconds" not in st:
                problem(f"{where}: Task without TimeoutSeconds")
            if "Retry" not in st:
                problem(f"{where}: Task without Retry")
            resource = st.get("Resource", "")
            params = json.dumps(st.get("Parameters", {}))
            if "ssm:getParameter" in resource and "WithDecryption" in params:
                problem(f"{where}: reads an SSM SecureString into state data")
            if resource != START_EXECUTION_SYNC:
                check_task_timeout(where, st, timeouts)
            if resource == "${PollQueryFunctionArn}":
                check_poll(where, states, state_name, st)
        if st.get("Type") == "Fail":
            check_fail(where, st)
        for branch in st.get("Branches", []):
            check_states(machine, branch["States"], timeouts)
        if "ItemProcessor" in st:
            check_states(machine, st["ItemProcessor"]["States"], timeouts)


def check_task_timeout(where, st, timeouts):
    """Item 11: the Task outlasts its Lambda (so the Lambda's own timeout is what surfaces), and
    retries that timeout only where a repeat is safe."""
    resource = st.get("Resource", "")
    key = resource[2:-1] if resource.startswith("${") else None
    if key not in timeouts:
        return
    lambda_timeout = timeouts[key]
    task_timeout = st.get("TimeoutSeconds", 0)
    if not lambda_timeout < task_timeout <= lambda_timeout + 60:
        problem(
            f"{where}: TimeoutSeconds {task_timeout} against a Lambda timeout of {lambda_timeout} s "
            "(the Task must outlast the Lambda by at most a minute)"
        )
    retried = {e for r in st.get("Retry", []) for e in r["ErrorEquals"]}
    if key in TIMEOUT_RETRY_SAFE and not TIMEOUT_ERRORS <= retried:
        problem(f"{where}: does not retry its Lambda's own timeout {sorted(TIMEOUT_ERRORS)}")
    if key not in TIMEOUT_RETRY_SAFE and TIMEOUT_ERRORS & retried:
        problem(f"{where}: retries a timed-out {key[:-11]}, which is not safe to repeat")


def check_poll(where, states, name, st):
    """Items 8 and 9: a query that failed for a reason that may pass (a lost commit race, a
    retryable Athena failure) is rerun from its start with a new token, a bounded number of
    times; polling the dead execution again (a Retry) never helps."""
    retried = {e for r in st.get("Retry", []) for e in r["ErrorEquals"]}
    if retried & RERUN_ERRORS:
        problem(f"{where}: retries {sorted(retried & RERUN_ERRORS)} by polling the same dead query")
    catch = [c for c in st.get("Catch", []) if RERUN_ERRORS <= set(c["ErrorEquals"])]
    if not catch:
        problem(f"{where}: does not rerun {sorted(RERUN_ERRORS)}")
        return
    start = name.replace(": Poll Query", ": Start Query")
    loop = reachable(states, catch[0]["Next"])
    if start not in loop:
        problem(f"{where}: a rerun does not go back to {start}")
    bounded = any(
        states[s].get("Type") == "Choice"
        and any("NumericGreaterThanEquals" in c for c in states[s].get("Choices", []))
        for s in loop
    )
    if not bounded:
        problem(f"{where}: reruns are not bounded")


def check_fail(where, st):
    """Item 10: a Fail state says what failed, from the state's data (the query, table or
    client and the last cause), never a fixed sentence alone."""
    if "CausePath" not in st:
        problem(f"{where}: Fail state without CausePath (it names nothing)")


def check_bound_counts(machine, states):
    """Item 10: a Fail reached when a count passes its bound says the count from the data (the
    watchdog's said "5 resumed attempts" after 4), never a number written beside the bound."""
    for name, st in states.items():
        for rule in st.get("Choices", []):
            target = states.get(rule.get("Next"), {})
            # A Fail state, or a Pass that records a failed outcome (one item failing alone).
            cause = target.get("CausePath") if target.get("Type") == "Fail" else target.get("Parameters", {}).get("cause.$")
            if "NumericGreaterThanEquals" in rule and cause is not None:
                if rule["Variable"] not in cause:
                    problem(
                        f"{machine}/{rule['Next']}: the count must come from {rule['Variable']}, "
                        f"the variable {name} bounds"
                    )


def check_report_clients(machine, states):
    """Item 10: one client's failure does not stop the others; the run still fails at the end,
    naming the clients."""
    per_client = states.get("For Each Client", {}).get("ItemProcessor", {}).get("States", {})
    failed = per_client.get("Client Failed")
    if not failed or failed.get("Type") != "Pass" or failed.get("Parameters", {}).get("status") != "failed":
        problem(f"{machine}: the per-client iteration has no 'Client Failed' outcome")
    for name, st in per_client.items():
        if st.get("Type") in ("Task", "Map"):
            if not any(c["ErrorEquals"] == ["States.ALL"] and c["Next"] == "Client Failed" for c in st.get("Catch", [])):
                problem(f"{machine}/{name}: a failure here stops every client's report")
        if st.get("Type") == "Fail":
            problem(f"{machine}/{name}: a Fail state inside the per-client iteration stops every client")
    summary = [
        s for s in states.values()
        if s.get("Type") == "Task" and s.get("Parameters", {}).get("action") == "summarise"
    ]
    fails = [s for s in states.values() if s.get("Type") == "Fail" and "$.summary" in s.get("CausePath", "")]
    if not summary or not fails:
        problem(f"{machine}: no summary that fails the run naming the clients that failed")


def check_run_query_purpose(machine, subs):
    """Item 5: each machine's run-query is the function of its purpose."""
    target = subs.get("RunQueryFunctionArn", {}).get("Fn::GetAtt", [None])[0]
    machines = RUN_QUERY_PURPOSES.get(target, (set(), set()))[0]
    if machine not in machines:
        problem(f"{machine}: runs its queries with {target}, not the run-query of its purpose")


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
    policy = expand(res["ReadOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"])
    granted = set()
    for st in policy:
        for r in as_list(st.get("Resource", [])):
            m = re.search(r":table/\$\{(GlueDatabase|Db)\}/([a-z0-9_]+)$", sub_text(r))
            if m:
                granted.add(m.group(2))
        for r in as_list(st.get("Resource", [])):
            text = sub_text(r)
            if ":workgroup/" in text and "UserWorkgroup" not in json.dumps(r):
                problem(f"ReadOnlyPolicy grants a workgroup other than user: {text}")
            if "transaction_history" in text or "CoreDatabase" in text or "CoreAccountId" in text:
                problem(f"ReadOnlyPolicy reaches the core account or transaction_history: {text}")
    prefixes = set()
    for st in policy:
        if "s3:GetObject" in as_list(st.get("Action", [])):
            for r in as_list(st.get("Resource", [])):
                m = re.search(r"(\$\{DataBucket\.Arn\}|s3:::\$\{Bucket\})/([a-z0-9_]+)/\*$", sub_text(r))
                if m and "DataBucket" not in json.dumps(r):
                    m = None
                if m:
                    prefixes.add(m.group(2))
    if prefixes != set(catalog["tables"]):
        problem(f"ReadOnlyPolicy reads data prefixes {sorted(prefixes)}, not the catalog's tables")
    browse = {a for st in policy for a in as_list(st.get("Action", []))}
    missing = POWER_BI_BROWSE - browse
    if missing:
        problem(f"ReadOnlyPolicy lacks what Power BI Desktop needs to browse: {sorted(missing)}")
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
    for wg in ("setup", "ingestion", "user", "housekeeping", "core"):
        anomaly = alarms.get("${Project}-${Environment}-${Component}-athena-workgroup-processed-bytes-" + wg, {})
        budget = alarms.get("${Project}-${Environment}-${Component}-athena-workgroup-processed-bytes-budget-" + wg)
        if "ANOMALY_DETECTION_BAND" not in json.dumps(anomaly.get("Metrics")) or anomaly.get("ComparisonOperator") != "GreaterThanUpperThreshold":
            problem(f"the {wg} workgroup has no anomaly-band alarm under the running system's name")
        if budget is None:
            problem(f"the {wg} workgroup has no fixed processed-bytes budget alarm")
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
    # The running system's names, "execution-aborted" singular included: dashboards and on-call
    # rules find them by name.
    for sm in catalog["stateMachines"]:
        for suffix in ("executions-failed", "executions-timedout", "execution-aborted"):
            if "${Project}-${Environment}-${Component}-" + f"{sm}-{suffix}" not in alarms:
                problem(f"no {suffix} alarm for the {sm} state machine")


def role_statements(template):
    """Statements of roles and managed policies (identity policies, not key or bucket policies)."""
    for name, res in template["Resources"].items():
        if res["Type"] not in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            continue
        props = res["Properties"]
        docs = [p["PolicyDocument"] for p in props.get("Policies", []) or []]
        if "PolicyDocument" in props:
            docs.append(props["PolicyDocument"])
        for doc in docs:
            for st in expand(doc.get("Statement", [])):
                yield name, st


def text(value):
    return json.dumps(value)


def actions(st):
    return as_list(st.get("Action", []))


def function_env(template, function):
    props = template["Resources"][function]["Properties"]
    return props.get("Environment", {}).get("Variables", {})


def check_core_key(template):
    """Item 1: the core key by its key ARN (IAM never matches an alias ARN), no kms:Encrypt."""
    params = template["Parameters"]
    if ":key/" not in params.get("CoreKmsKeyArn", {}).get("AllowedPattern", ""):
        problem("CoreKmsKeyArn must be a parameter whose pattern accepts key ARNs only")
    for where, st in role_statements(template):
        if any(a.startswith("kms:") for a in actions(st)):
            if ":alias/" in text(st.get("Resource")):
                problem(f"{where}/{st.get('Sid')}: grants KMS on an alias ARN, which IAM never matches")
            if "kms:Encrypt" in actions(st):
                problem(f"{where}/{st.get('Sid')}: grants kms:Encrypt (SSE-KMS needs GenerateDataKey)")
    for role in CROSS_ACCOUNT_ROLES:
        granted = [st for _, st in role_statements(template) if _ == role]
        if not any(st.get("Resource") == {"Ref": "CoreKmsKeyArn"} for st in granted):
            problem(f"{role}: no grant on the core key (CoreKmsKeyArn)")
    for where, st in role_statements(template):
        if st.get("Resource") == {"Ref": "CoreKmsKeyArn"} and "s3." not in text(st.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")):
            problem(f"{where}/{st.get('Sid')}: uses the core key other than through S3 (kms:ViaService)")
    if function_env(template, "WriteReportFunction").get("INGRESS_KMS_KEY_ARN") != {"Ref": "CoreKmsKeyArn"}:
        problem("WriteReportFunction: INGRESS_KMS_KEY_ARN is not the CoreKmsKeyArn parameter")


def alarm_actions_ok(props):
    actions_text = text(props.get("AlarmActions"))
    return '"Ref": "AlarmTopicArn"' in actions_text and '"Ref": "AlarmTopic"' in actions_text


def check_alarm_destinations(template):
    """Item 2: alarms reach someone: the topic is under our key (CloudWatch may use it), an
    existing topic can be given, and a prod stack without either is refused."""
    res = template["Resources"]
    topic = res.get("AlarmTopic", {}).get("Properties", {})
    if "alias/aws/" in text(topic.get("KmsMasterKeyId")) or "Key" not in text(topic.get("KmsMasterKeyId")):
        problem("AlarmTopic: must be encrypted with the stack's key, not an AWS managed key")
    key_policy = res["Key"]["Properties"]["KeyPolicy"]["Statement"]
    if not any(
        "cloudwatch.amazonaws.com" in text(st.get("Principal"))
        and {"kms:Decrypt", "kms:GenerateDataKey"} <= set(actions(st))
        for st in key_policy
    ):
        problem("Key: CloudWatch may not use the key, so the alarm topic drops every notification")
    for name, r in res.items():
        if r["Type"] == "AWS::CloudWatch::Alarm" and not alarm_actions_ok(r["Properties"]):
            problem(f"{name}: does not notify both AlarmTopicArn and AlarmTopic")
    rules = template.get("Rules", {})
    if not any(
        "prod" in text(rule.get("RuleCondition"))
        and "AlarmEmail" in text(rule.get("Assertions"))
        and "AlarmTopicArn" in text(rule.get("Assertions"))
        for rule in rules.values()
    ):
        problem("Rules: a prod stack with no alarm destination is not refused")


HASH_KEY_PARAMETER = ":parameter/${Project}-${Environment}-${Component}/hash-key"
HASH_KEY_OBJECT = "-hash-key/hash-key/hash_key"
HASH_KEY_ADMIN = {"Ref": "HashKeyAdministratorArn"}
# What no principal may hold on the hash key's KMS key by IAM delegation (the account root).
DELEGATION_FORBIDDEN = {"kms:*", "kms:Create*", "kms:CreateGrant", "kms:Put*", "kms:PutKeyPolicy", "kms:Decrypt", "kms:ReEncrypt*", "kms:Encrypt", "kms:GenerateDataKey"}


def readers_of(st):
    """The roles (GetAtt names) a statement's Principal.AWS names, and whether it names anything else."""
    named = as_list(st.get("Principal", {}).get("AWS", []))
    roles = {p.get("Fn::GetAtt", [None])[0] for p in named if isinstance(p, dict) and "Fn::GetAtt" in p}
    return roles, len(named) != len(roles)


def check_hash_key(template):
    """Issue 31: the hash key lives in one object under a KMS key of its own. Only ingestion and
    break glass decrypt (through S3, that object), an explicit Deny keeps everyone else out, the
    account administers the key without CreateGrant or PutKeyPolicy, only the named administrator
    puts the policy; ingestion pins the key's fingerprint; every change to the key alarms."""
    res = template["Resources"]
    key = res.get("HashKeyKey")
    if not key or key["Type"] != "AWS::KMS::Key":
        problem("HashKeyKey: the hash key has no KMS key of its own")
        return
    policy = key["Properties"]["KeyPolicy"]["Statement"]
    denied = False
    for st in policy:
        acts = set(actions(st))
        sid = st.get("Sid")
        if st.get("Effect") == "Deny":
            roles, others = readers_of({"Principal": {"AWS": st.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn", [])}})
            if st.get("Principal") == {"AWS": "*"} and {"kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant"} <= acts and roles == HASH_KEY_READERS and not others:
                denied = True
            continue
        if "kms:*" in acts:
            problem(f"HashKeyKey/{sid}: kms:* lets the account decrypt the hash key")
        root = ":root" in text(st.get("Principal"))
        if root and acts & DELEGATION_FORBIDDEN:
            problem(f"HashKeyKey/{sid}: the account may {sorted(acts & DELEGATION_FORBIDDEN)} by IAM delegation, so any IAM policy could give itself the key")
        if acts & {"kms:PutKeyPolicy", "kms:Put*"} and st.get("Principal", {}).get("AWS") != HASH_KEY_ADMIN:
            problem(f"HashKeyKey/{sid}: PutKeyPolicy for {st.get('Principal')}, not only HashKeyAdministratorArn")
        if acts & {"kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncrypt*", "kms:GenerateDataKey"}:
            roles, others = readers_of(st)
            if others or not roles or not roles <= HASH_KEY_READERS:
                problem(f"HashKeyKey/{sid}: decrypts for {st['Principal']}, not only {sorted(HASH_KEY_READERS)}")
            cond = text(st.get("Condition"))
            through_s3 = "s3." in cond and HASH_KEY_OBJECT in cond
            through_ssm = "ssm." in cond and HASH_KEY_PARAMETER in cond and roles == {"HashKeyBreakGlassRole"}
            if "kms:ViaService" not in cond or not (through_s3 or through_ssm):
                problem(f"HashKeyKey/{sid}: not limited to S3 and the vault object (or break glass, SSM and the old parameter)")
    if not denied:
        problem("HashKeyKey: no explicit Deny of Decrypt, ReEncrypt and CreateGrant to all but the ingestion and break-glass roles")
    for where, st in role_statements(template):
        t = text(st.get("Resource"))
        if (HASH_KEY_PARAMETER in t or HASH_KEY_OBJECT in t or "HashKeyKey" in t) and where not in HASH_KEY_READERS:
            problem(f"{where}: may read the hash key; only {sorted(HASH_KEY_READERS)} may")
    vault = res.get("HashKeyBucketPolicy", {}).get("Properties", {}).get("PolicyDocument", {}).get("Statement", [])
    reads = [st for st in vault if st.get("Effect") == "Deny" and "s3:GetObject" in actions(st)]
    if not any(readers_of({"Principal": {"AWS": st.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn", [])}})[0] == HASH_KEY_READERS for st in reads):
        problem("HashKeyBucketPolicy: does not deny reading the vault object to all but the ingestion and break-glass roles")
    # Pinned: ingestion knows the key only by its fingerprint, a stack parameter.
    env = function_env(template, "RunIngestionQueryFunction")
    if env.get("HASH_KEY_FINGERPRINT") != {"Ref": "HashKeyFingerprint"} or "HashKeyFingerprint" not in template["Parameters"]:
        problem("RunIngestionQueryFunction: no pinned hash key fingerprint (HASH_KEY_FINGERPRINT from the HashKeyFingerprint parameter)")
    # Every change to the vault object, the old parameter, and every use of break glass alarms.
    rules = {n: r for n, r in res.items() if r["Type"] == "AWS::Events::Rule"}
    watched = {
        "the vault object": lambda p: "aws.s3" in p.get("source", []) and {"Ref": "HashKeyBucket"} in as_list(p.get("detail", {}).get("bucket", {}).get("name", [])),
        "the old hash-key parameter": lambda p: "aws.ssm" in p.get("source", []) and HASH_KEY_PARAMETER.split(":parameter")[1] in text(p.get("detail", {}).get("name")),
        "the break-glass role's use": lambda p: "aws.sts" in p.get("source", []) and "HashKeyBreakGlassRole" in text(p.get("detail", {}).get("requestParameters")),
    }
    alarms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for what, matches in watched.items():
        found = [n for n, r in rules.items() if matches(r["Properties"].get("EventPattern", {}))]
        if not any(
            a.get("MetricName") == "TriggeredRules" and {"Ref": n} in [d.get("Value") for d in a.get("Dimensions", [])] and alarm_actions_ok(a)
            for n in found
            for a in alarms
        ):
            problem(f"no alarm when {what} changes")
    makefile = (ROOT / "Makefile").read_text()
    alias = sub_text(res["HashKeyKeyAlias"]["Properties"]["AliasName"])
    if alias != "alias/${Project}-${Environment}-${Component}-hash-key" or "HASH_KEY_ALIAS = alias/$(CSI)-hash-key" not in makefile:
        problem("make bootstrap and the template disagree on the hash key's KMS key alias")
    if "--sse-kms-key-id $(HASH_KEY_ALIAS)" not in makefile:
        problem("make bootstrap does not write the hash key under its own KMS key")


def check_break_glass(template):
    """Issue 31: break glass trusts named principals (SSO sessions carry no MFA, so the account
    root with MFA lets nobody in, or everybody an administrator grants)."""
    trust = template["Resources"]["HashKeyBreakGlassRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    for st in expand(trust):
        if st.get("Effect") != "Allow":
            continue
        if ":root" in text(st.get("Principal")) or st.get("Principal", {}).get("AWS") != {"Ref": "BreakGlassPrincipalArns"}:
            problem(f"HashKeyBreakGlassRole: trusts {st.get('Principal')}, not the named BreakGlassPrincipalArns")


def check_uploads_under_stack_keys(template):
    """Issue 31: each bucket of ours denies an upload under any key but its own."""
    res = template["Resources"]
    for policy, key in (("DataBucketPolicy", "Key"), ("ResultsBucketPolicy", "Key"), ("HashKeyBucketPolicy", "HashKeyKey")):
        sts = res.get(policy, {}).get("Properties", {}).get("PolicyDocument", {}).get("Statement", [])
        ok = any(
            st.get("Effect") == "Deny"
            and "s3:PutObject" in actions(st)
            and {"Fn::GetAtt": [key, "Arn"]} in as_list(st.get("Condition", {}).get("StringNotEqualsIfExists", {}).get("s3:x-amz-server-side-encryption-aws-kms-key-id"))
            for st in sts
        )
        if not ok:
            problem(f"{policy}: does not deny uploads under any key but {key}")


def check_existing_storage(template):
    """Issue 31: no silent default adopts, and a deploy naming part of the running system's storage,
    or naming it without a mode, is refused."""
    params = template["Parameters"]
    if params.get("ExistingStorageUse", {}).get("Default") != "":
        problem("parameter ExistingStorageUse: a default that adopts (or compares) what a deploy names")
    names = ("ExistingDataBucketName", "ExistingGlueDatabaseName", "ExistingDataKeyArn", "ExistingStorageUse")
    if not any(all(f'"Ref": "{n}"' in text(rule.get("Assertions")) for n in names) for rule in template.get("Rules", {}).values()):
        problem("Rules: a deploy naming part of the running system's storage, or no mode, is not refused")


def check_log_forwarding(template):
    """Issue 32: with LogDestinationArn set, every log group of the stack is forwarded."""
    res = template["Resources"]
    forwarded = {
        r["Properties"].get("LogGroupName", {}).get("Ref")
        for r in res.values()
        if r["Type"] == "AWS::Logs::SubscriptionFilter"
        and r.get("Condition") == "ForwardsLogs"
        and r["Properties"].get("DestinationArn") == {"Ref": "LogDestinationArn"}
    }
    for name, r in res.items():
        if r["Type"] == "AWS::Logs::LogGroup" and name not in forwarded:
            problem(f"{name}: not forwarded to LogDestinationArn")


METRIC_ENVIRONMENT = {"Fn::If": ["ComparesWithExisting", {"Fn::Sub": "${Environment}-${Component}"}, {"Ref": "Environment"}]}


def check_compare_only_metrics(template):
    """Issue 32: a compare-only stack's metrics, and the alarms on them, use an environment of its
    own, so they never land in the running system's series of the same environment."""
    if template["Globals"]["Function"]["Environment"]["Variables"].get("ENVIRONMENT") != METRIC_ENVIRONMENT:
        problem("Globals: ENVIRONMENT (the metrics' environment) is the running system's when comparing")
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::CloudWatch::Alarm":
            continue
        t = text(r["Properties"])
        if "environment" in t and ("Notify/" in t) and "ComparesWithExisting" not in t:
            problem(f"{name}: watches the environment's series even when comparing")


# What CloudWatch Logs accepts as a retention (PutRetentionPolicy).
LOG_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}


def check_log_retention(template):
    allowed = template["Parameters"].get("LogRetentionDays", {}).get("AllowedValues")
    if allowed is None or not {int(v) for v in allowed} <= LOG_RETENTION_DAYS:
        problem("parameter LogRetentionDays: accepts values CloudWatch Logs refuses")


def check_retention(template):
    """Item 4: data is kept on stack delete, and what VACUUM removes does not stay forever."""
    res = template["Resources"]
    for name in sorted(RETAINED):
        r = res.get(name, {})
        if r.get("DeletionPolicy") != "Retain" or r.get("UpdateReplacePolicy") != "Retain":
            problem(f"{name}: DeletionPolicy and UpdateReplacePolicy must be Retain")
    for name, r in res.items():
        if r["Type"] != "AWS::S3::Bucket":
            continue
        rules = r["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        if not any("NoncurrentVersionExpiration" in x for x in rules):
            problem(f"{name}: versioned with no noncurrent-version expiry: removed files stay forever")
        if not any("AbortIncompleteMultipartUpload" in x for x in rules):
            problem(f"{name}: incomplete multipart uploads are never aborted")


# The report client lists: the operators' SSM parameters, created once by `make bootstrap`.
CLIENT_LISTS = ("completed-comms-report", "completed-batch-report")


def check_client_lists(template):
    """The operators' report client lists are no stack resource (an update or the stack's deletion
    would reset or remove them, and a stack adopting the running system's could not create them:
    they exist); bootstrap creates each only when missing; write-report may read both."""
    for name, r in template["Resources"].items():
        if r["Type"] == "AWS::SSM::Parameter" and any(report in sub_text(r["Properties"].get("Name")) for report in CLIENT_LISTS):
            problem(f"{name}: a report client list managed by the stack (an update or deletion resets the operators' list)")
    makefile = (ROOT / "Makefile").read_text()
    bootstrap = makefile[makefile.index("\nbootstrap:"):]
    bootstrap = bootstrap[: bootstrap.index("\n\n")]
    for report in CLIENT_LISTS:
        if f"/$(CSI)/{report}/clientIds" not in bootstrap:
            problem(f"Makefile: bootstrap does not create /<csi>/{report}/clientIds")
    if "--overwrite" in bootstrap:
        problem("Makefile: bootstrap overwrites a parameter (it creates only what is missing)")
    granted = {sub_text(r) for role, st in role_statements(template) if role == "WriteReportRole" and "ssm:GetParameter" in actions(st) for r in as_list(st.get("Resource"))}
    for report in CLIENT_LISTS:
        arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Project}-${Environment}-${Component}/" + report + "/clientIds"
        if arn not in granted:
            problem(f"WriteReportRole: may not read /<csi>/{report}/clientIds")


# What the stack's data bucket is: its own, or the running system's (adoption).
DATA_BUCKET = {"Fn::If": ["CreatesDataBucket", {"Ref": "DataBucket"}, {"Ref": "ExistingDataBucketName"}]}
# The resources the stack creates only when it adopts nothing, by the condition that says so.
CREATED_UNLESS_ADOPTED = {"DataBucket": "CreatesDataBucket", "DataBucketPolicy": "CreatesDataBucket", "GlueDatabase": "CreatesGlueDatabase"}


def data_bucket_arn(value):
    """Whether `value` is the data bucket's ARN, whichever bucket that is."""
    sub = value.get("Fn::Sub") if isinstance(value, dict) else None
    return isinstance(sub, list) and sub[0] == "arn:${AWS::Partition}:s3:::${Bucket}" and sub[1].get("Bucket") == DATA_BUCKET


def references(value, name, condition):
    """Where `value` refers to resource `name` outside the true branch of an Fn::If on
    `condition` (a reference CloudFormation cannot resolve once the resource is not created)."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Fn::If" and v[0] == condition:
                found += references(v[2], name, condition)
            elif k == "Ref" and v == name:
                found.append(f"Ref {name}")
            elif k == "Fn::GetAtt" and v[0] == name:
                found.append(f"GetAtt {name}")
            elif k == "Fn::Sub":
                body = v if isinstance(v, str) else v[0]
                if re.search(r"\$\{" + name + r"(\.[A-Za-z]+)?\}", body):
                    found.append(f"Sub ${{{name}}}")
                if isinstance(v, list):
                    found += references(v[1], name, condition)
            else:
                found += references(v, name, condition)
    elif isinstance(value, list):
        for v in value:
            found += references(v, name, condition)
    return found


def check_adoption(template):
    """Adoption (issue 20): with ExistingDataBucketName / ExistingGlueDatabaseName set the stack
    creates neither, puts nothing of its own on them, and every use goes through the condition;
    the roles that read or write data files may use the adopted bucket's KMS key."""
    res = template["Resources"]
    for p in ("ExistingDataBucketName", "ExistingGlueDatabaseName", "ExistingDataKeyArn"):
        if template["Parameters"].get(p, {}).get("Default") != "":
            problem(f"parameter {p}: missing, or not empty by default (a new stack adopts nothing)")
    for name, condition in CREATED_UNLESS_ADOPTED.items():
        if res.get(name, {}).get("Condition") != condition:
            problem(f"{name}: created even when the stack adopts the running system's (Condition {condition})")
    for resource in ("DataBucket", "GlueDatabase"):
        condition = CREATED_UNLESS_ADOPTED[resource]
        for where, value in [("Globals", template.get("Globals", {})), ("Outputs", template.get("Outputs", {}))] + [
            (n, r) for n, r in res.items() if r.get("Condition") != condition
        ]:
            for ref in references(value, resource, condition):
                problem(f"{where}: {ref} outside Fn::If [{condition}, …]: the adopted {resource} is not used")
    readers = set()
    for role, st in role_statements(template):
        # A statement naming the running system's storage itself (not through the adoption
        # condition) is compare-only's read, and may only read.
        named = [
            r
            for r in as_list(st.get("Resource"))
            if re.search(r"\$\{Existing(GlueDatabase|DataBucket)Name\}", sub_text(r)) or r == {"Ref": "ExistingDataKeyArn"}
        ]
        if named:
            readers.add(role)
            writes = [a for a in actions(st) if not re.match(r"(glue:Get|s3:Get|s3:List|kms:Decrypt$|kms:DescribeKey$)", a)]
            if writes:
                problem(f"{role}: may {', '.join(writes)} on the running system's storage it only compares with")
    if readers - {"RunIngestionQueryRole"}:
        problem(f"{', '.join(sorted(readers - {'RunIngestionQueryRole'}))}: reads the running system's storage (only verify-cutover's role may)")
    for role, st in role_statements(template):
        if not any(a.startswith("s3:") for a in actions(st)) or not any(data_bucket_arn(r) for r in as_list(st.get("Resource"))):
            continue
        keys = [k for r2, k in role_statements(template) if r2 == role and k.get("Sid") == "Keys"]
        adopted_key = {"Fn::If": ["AdoptsDataKey", {"Ref": "ExistingDataKeyArn"}, {"Ref": "AWS::NoValue"}]}
        if not any(adopted_key in as_list(k.get("Resource")) for k in keys):
            problem(f"{role}: reaches the data bucket but may not use ExistingDataKeyArn (adopted files are unreadable)")


def check_backup(template):
    """The data bucket is backed up (the staging tables are the only copy of old history), into a
    vault kept when the stack goes, and a failed backup job raises an alarm."""
    res = template["Resources"]
    selections = [r for r in res.values() if r["Type"] == "AWS::Backup::BackupSelection"]
    backed_up = [r for s in selections for r in s["Properties"]["BackupSelection"].get("Resources", [])]
    if not any(data_bucket_arn(r) for r in backed_up):
        problem("DataBucket: no AWS Backup selection backs it up")
    rules = [r for p in res.values() if p["Type"] == "AWS::Backup::BackupPlan" for r in p["Properties"]["BackupPlan"]["BackupPlanRule"]]
    if not any(r.get("EnableContinuousBackup") is True and r.get("Lifecycle", {}).get("DeleteAfterDays") == 31 for r in rules):
        problem("BackupPlan: no continuous (point-in-time) backup kept 31 days")
    if not any("BackupCopyVaultArn" in text(r.get("CopyActions")) for r in rules):
        problem("BackupPlan: no copy to BackupCopyVaultArn")
    if "IsProduction" not in text(res.get("BackupVault", {}).get("Properties", {}).get("LockConfiguration")):
        problem("BackupVault: not locked in production")
    role = res.get("BackupRole", {}).get("Properties", {})
    if role.get("ManagedPolicyArns"):
        problem("BackupRole: AWS's managed backup policies reach every bucket of the account")
    for where, st in role_statements(template):
        if where != "BackupRole" or not any(a.startswith("s3:") for a in actions(st)):
            continue
        for r in as_list(st.get("Resource")):
            sub = r.get("Fn::Sub") if isinstance(r, dict) else None
            data = isinstance(sub, list) and sub[0].startswith("arn:${AWS::Partition}:s3:::${Bucket}") and sub[1].get("Bucket") == DATA_BUCKET
            restore_test = "RestoreTestBucket" in text(r)
            if not (data or restore_test):
                problem(f"BackupRole/{st.get('Sid')}: S3 beyond the data bucket ({r})")
    tests = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Backup::RestoreTestingSelection"]
    if not any(any(data_bucket_arn(a) for a in t.get("ProtectedResourceArns", [])) for t in tests):
        problem("DataBucket: no restore testing of its backups")
    for t in tests:
        if "DataBucket" in text(t.get("RestoreMetadataOverrides", {}).get("DestinationBucketName")):
            problem("RestoreTestingSelection: restores over the data bucket")
    for name, r in res.items():
        if r["Type"] == "AWS::Backup::BackupVault":
            if r.get("DeletionPolicy") != "Retain":
                problem(f"{name}: the backups would go with the stack")
            keeps = [
                st
                for st in r["Properties"].get("AccessPolicy", {}).get("Statement", [])
                if st.get("Effect") == "Deny" and "backup:DeleteRecoveryPoint" in actions(st) and st.get("Principal") == {"AWS": "*"}
            ]
            if not keeps:
                problem(f"{name}: its access policy does not deny deleting recovery points")
            if not any(
                a["Properties"].get("MetricName") == "NumberOfBackupJobsFailed"
                and {"Ref": name} in [d.get("Value") for d in a["Properties"].get("Dimensions", [])]
                for a in res.values()
                if a["Type"] == "AWS::CloudWatch::Alarm"
            ):
                problem(f"{name}: no alarm on a failed backup job")


def workgroups_of(st):
    found = set()
    for r in as_list(st.get("Resource", [])):
        m = re.search(r":workgroup/\$\{([A-Za-z]+)\}", sub_text(r))
        if m:
            found.add(m.group(1))
    return found


def check_roles_by_purpose(template):
    """Item 5: run-query's roles by purpose; only the cross-account roles reach the core
    account, with s3:ResourceAccount; they have stable names and are outputs."""
    res = template["Resources"]
    for function, (_, workgroups) in RUN_QUERY_PURPOSES.items():
        role = res[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        started = set()
        for where, st in role_statements(template):
            if where == role and "athena:StartQueryExecution" in actions(st):
                started |= workgroups_of(st)
        if started != workgroups:
            problem(f"{role}: starts queries in {sorted(started)}, its purpose needs {sorted(workgroups)}")
    for where, st in role_statements(template):
        t = text(st)
        core = any(k in t for k in ("CoreAccountId", "CoreSourceBucket", "CoreDatabase", "CoreKmsKeyArn"))
        if core and where not in CROSS_ACCOUNT_ROLES and where != "ReadOnlyPolicy":
            problem(f"{where}/{st.get('Sid')}: reaches the core account; only {sorted(CROSS_ACCOUNT_ROLES)} may")
        if any(a.startswith("s3:") for a in actions(st)) and ("CoreSourceBucket" in t or "api-rpt-ingress" in t):
            if st.get("Condition", {}).get("StringEquals", {}).get("s3:ResourceAccount") != {"Ref": "CoreAccountId"}:
                problem(f"{where}/{st.get('Sid')}: cross-account S3 without s3:ResourceAccount")
    for where, st in role_statements(template):
        if "s3:GetObject" in actions(st) and "CoreSourceBucket" in text(st.get("Resource")):
            if any("${CoreSourcePrefix}/" not in sub_text(r) for r in as_list(st.get("Resource"))):
                problem(f"{where}/{st.get('Sid')}: reads the core bucket beyond transaction_history's prefix")
    outputs = text(template.get("Outputs", {}))
    for role in CROSS_ACCOUNT_ROLES:
        if "RoleName" not in res[role]["Properties"]:
            problem(f"{role}: the core account trusts it by name, so it needs a stable RoleName")
        if f'"{role}", "Arn"' not in outputs:
            problem(f"{role}: its ARN is not an output")
    if function_env(template, "WriteReportFunction").get("INGRESS_BUCKET_OWNER") != {"Ref": "CoreAccountId"}:
        problem("WriteReportFunction: INGRESS_BUCKET_OWNER (ExpectedBucketOwner) is not the core account")


def check_workgroups_and_trusts(template):
    """Item 6."""
    res = template["Resources"]
    for name, r in res.items():
        if r["Type"] == "AWS::Athena::WorkGroup":
            cfg = r["Properties"]["WorkGroupConfiguration"]
            enc = cfg.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
            if cfg.get("EnforceWorkGroupConfiguration") is not True:
                problem(f"{name}: EnforceWorkGroupConfiguration must be true")
            if enc.get("EncryptionOption") != "SSE_KMS" or "Key" not in text(enc.get("KmsKey")):
                problem(f"{name}: results are not encrypted with the stack's key")
        if r["Type"] == "AWS::IAM::Role":
            for st in r["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
                service = st.get("Principal", {}).get("Service")
                if service and service not in TRUSTS_WITHOUT_SOURCE_ACCOUNT:
                    if "aws:SourceAccount" not in text(st.get("Condition")):
                        problem(f"{name}: trusts {service} without aws:SourceAccount")
    for where, st in role_statements(template):
        if "iam:PassRole" in actions(st) and "iam:PassedToService" not in text(st.get("Condition")):
            problem(f"{where}/{st.get('Sid')}: iam:PassRole without iam:PassedToService")
    for st in expand(res["ReadOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"]):
        if "s3:ListBucket" in actions(st) and "s3:prefix" not in text(st.get("Condition")):
            problem(f"ReadOnlyPolicy/{st.get('Sid')}: lists a whole bucket")
        if any(a.startswith("kms:") for a in actions(st)) and "kms:ViaService" not in text(st.get("Condition")):
            problem(f"ReadOnlyPolicy/{st.get('Sid')}: KMS use not limited to S3 (kms:ViaService)")
    for name, param in template["Parameters"].items():
        if param["Type"] == "String" and "AllowedPattern" not in param and "AllowedValues" not in param:
            problem(f"parameter {name}: no AllowedPattern")


def check_silence(template):
    """Item 7: a scheduled machine that stops succeeding raises an alarm (missing data breaches),
    and a start the scheduler cannot make lands in a dead-letter queue with an alarm."""
    res = template["Resources"]
    alarms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for name, r in res.items():
        if r["Type"] != "AWS::Scheduler::Schedule":
            continue
        target = r["Properties"]["Target"]
        machine = target["Arn"].get("Ref")
        if not any(
            a.get("MetricName") == "ExecutionsSucceeded"
            and a.get("TreatMissingData") == "breaching"
            and a.get("ComparisonOperator") == "LessThanThreshold"
            and {"Ref": machine} in [d.get("Value") for d in a.get("Dimensions", [])]
            for a in alarms
        ):
            problem(f"{name}: no alarm when {machine} has not succeeded for its period")
        queue = target.get("DeadLetterConfig", {}).get("Arn", {}).get("Fn::GetAtt", [None])[0]
        if queue is None:
            problem(f"{name}: no dead-letter queue")
        elif not any(queue in text(a.get("Dimensions")) for a in alarms):
            problem(f"{name}: its dead-letter queue {queue} has no alarm")


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
    check_core_key(template)
    check_alarm_destinations(template)
    check_hash_key(template)
    check_retention(template)
    check_roles_by_purpose(template)
    check_workgroups_and_trusts(template)
    check_silence(template)
    check_backup(template)
    check_client_lists(template)
    check_adoption(template)
    check_break_glass(template)
    check_uploads_under_stack_keys(template)
    check_existing_storage(template)
    check_log_retention(template)
    check_log_forwarding(template)
    check_compare_only_metrics(template)
    for p in problems:
        print(f"check_deploy: {p}")
    if problems:
        return 1
    print(
        "check_deploy: state machines, IAM wildcards, grants and alarms agree with the catalog; "
        "issue 19's controls hold"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
