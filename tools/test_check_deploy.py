#!/usr/bin/env python3
"""Puts each of issue 19's defects back, one at a time, into a copy of the template or a state
machine, and asserts that tools/check_deploy.py names it. A check that cannot fail fails here.

  python3 tools/test_check_deploy.py      (make deploy-check runs it)
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_deploy as cd  # noqa: E402
from cfnlint.decode import decode  # noqa: E402

ROOT = cd.ROOT
TEMPLATE, _ = decode(str(ROOT / "template.yaml"))
MACHINES = {p.name[: -len(".asl.json")]: json.loads(p.read_text()) for p in (ROOT / "statemachines").glob("*.asl.json")}
# The catalog as the binary states it (make deploy-check builds it first).
CATALOG = json.loads(subprocess.check_output([str(ROOT / "target" / "debug" / "notify-reporting"), "catalog"]))


def statement(t, resource, sid):
    props = t["Resources"][resource]["Properties"]
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    docs += [props[k] for k in ("PolicyDocument", "KeyPolicy") if k in props]
    for doc in docs:
        for st in doc["Statement"]:
            if st.get("Sid") == sid:
                return st
    raise KeyError(f"{resource}/{sid}")


def states(machine, *path):
    """The States of a machine, or of the Map processors named by `path`."""
    s = machine["States"]
    for name in path:
        s = s[name]["ItemProcessor"]["States"]
    return s


def template_checks(t):
    for check in (
        cd.check_iam,
        cd.check_core_key,
        cd.check_alarm_destinations,
        cd.check_hash_key,
        cd.check_retention,
        cd.check_roles_by_purpose,
        cd.check_workgroups_and_trusts,
        cd.check_silence,
        cd.check_backup,
        cd.check_client_lists,
        cd.check_adoption,
        cd.check_break_glass,
        cd.check_uploads_under_stack_keys,
        cd.check_existing_storage,
        cd.check_log_retention,
        cd.check_log_forwarding,
        cd.check_compare_only_metrics,
    ):
        check(t)
    cd.check_state_machines(t)
    cd.check_catalog(t, CATALOG)


def machine_checks(name, m):
    timeouts = {"RunQueryFunctionArn": 90, "PollQueryFunctionArn": 30, "WriteReportFunctionArn": 300, "PublishMetricFunctionArn": 300}
    cd.check_states(name, m["States"], timeouts)
    cd.check_sync_timeouts(name, m["States"], cd.nested_timeouts())
    cd.check_machine_timeout(name, m)
    if name.endswith("-report"):
        cd.check_report_clients(name, m["States"])


def t1(t):
    st = statement(t, "WriteReportRole", "CoreKeyEncryptReports")
    st["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:kms:${CoreRegion}:${CoreAccountId}:alias/comms-${CoreEnvironment}-api-s3"}
    st["Action"].append("kms:Encrypt")


def t2(t):
    t["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"


def t2b(t):
    del t["Rules"]


def t3(t):
    statement(t, "HashKeyKey", "HashKeyPolicyAdministration")["Action"] = "kms:*"


def t3b(t):
    t["Resources"]["RunReportQueryRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        copy.deepcopy(statement(t, "RunIngestionQueryRole", "HashKey"))
    )


def t31a(t):
    statement(t, "HashKeyKey", "HashKeyPolicyAdministration")["Action"] += ["kms:CreateGrant", "kms:PutKeyPolicy"]


def t31b(t):
    policy = t["Resources"]["HashKeyKey"]["Properties"]["KeyPolicy"]["Statement"]
    policy[:] = [st for st in policy if st.get("Sid") != "HashKeyPolicyDenyEveryoneElse"]


def t31c(t):
    t["Resources"]["RunIngestionQueryFunction"]["Properties"]["Environment"]["Variables"].pop("HASH_KEY_FINGERPRINT")


def t31d(t):
    del t["Resources"]["HashKeyObjectChangedAlarm"]


def t31e(t):
    t["Parameters"]["ExistingStorageUse"]["Default"] = "adopt"
    del t["Rules"]["ExistingStorageNamedWholeWithAMode"]


def t31f(t):
    role = t["Resources"]["BackupRole"]["Properties"]
    role["ManagedPolicyArns"] = [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"}]
    del t["Resources"]["BackupVault"]["Properties"]["AccessPolicy"]


def t31g(t):
    trust = t["Resources"]["HashKeyBreakGlassRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    trust[:] = [{"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]
    del t["Resources"]["HashKeyBreakGlassUsedAlarm"]


def t31h(t):
    policy = t["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    policy[:] = [st for st in policy if st.get("Sid") != "UploadsUnderStackKeyOnly"]
    del statement(t, "WriteReportRole", "CoreKeyEncryptReports")["Condition"]


def t31i(t):
    statement(t, "RunReportQueryRole", "AthenaReportWorkgroups")["Resource"].append(
        {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${UserWorkgroup}"}
    )
    t["Parameters"]["LogRetentionDays"]["AllowedValues"] = [1, 2, 30]


def t31j(t):
    t["Resources"]["RunReportQueryRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Vault", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Project}-${AWS::AccountId}-${AWS::Region}-${Environment}-${Component}-hash-key/hash-key/hash_key"}}
    )
    statement(t, "HashKeyKey", "HashKeyPolicyDecryptIngestionAndBreakGlass")["Principal"]["AWS"].append({"Fn::GetAtt": ["RunReportQueryRole", "Arn"]})


def t32e(t):
    del t["Resources"]["WatchdogLogForwarding"]


def t32g(t):
    statement(t, "RunIngestionQueryRole", "CoreSourceRead")["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${CoreSourceBucket}/*"}


def t32d(t):
    plan = t["Resources"]["BackupPlan"]["Properties"]["BackupPlan"]
    plan["BackupPlanRule"] = [r for r in plan["BackupPlanRule"] if r["RuleName"] == "daily"]
    del plan["BackupPlanRule"][0]["CopyActions"]
    del t["Resources"]["BackupVault"]["Properties"]["LockConfiguration"]


def t32h(t):
    t["Globals"]["Function"]["Environment"]["Variables"]["ENVIRONMENT"] = {"Ref": "Environment"}
    props = t["Resources"]["OverdueRequestsAlarm"]["Properties"]
    props["Metrics"][0]["Expression"] = {"Fn::Sub": "SELECT MAX(OverdueRequestsCount) FROM \"Notify/Watchdog\" WHERE environment = '${Environment}'"}


def t32i(t):
    del t["Resources"]["RestoreTestingDataBucket"]


def t4(t):
    del t["Resources"]["DataBucket"]["DeletionPolicy"]
    t["Resources"]["DataBucket"]["Properties"]["LifecycleConfiguration"]["Rules"] = []


def t5(t):
    statement(t, "RunHousekeepingQueryRole", "AthenaHousekeepingWorkgroup")["Resource"] = [
        {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${HousekeepingWorkgroup}"},
        {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${IngestionWorkgroup}"},
    ]


def t5b(t):
    del statement(t, "RunIngestionQueryRole", "CoreSourceRead")["Condition"]


def t6(t):
    t["Resources"]["CoreWorkgroup"]["Properties"]["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] = False


def t6b(t):
    del t["Resources"]["PollQueryRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


def t6c(t):
    del statement(t, "HousekeepingStateMachineRole", "PassStatisticsRole")["Condition"]
    del t["Parameters"]["CoreDatabase"]["AllowedPattern"]


def t7(t):
    del t["Resources"]["IngestionSchedule"]["Properties"]["Target"]["DeadLetterConfig"]
    t["Resources"]["WatchdogNotSucceededAlarm"]["Properties"]["TreatMissingData"] = "notBreaching"


def t20(t):
    del t["Resources"]["BackupDataBucket"]
    del t["Resources"]["BackupVault"]["DeletionPolicy"]


def t20b(t):
    t["Resources"]["CompletedCommsReportClients"] = {
        "Type": "AWS::SSM::Parameter",
        "DeletionPolicy": "Retain",
        "Properties": {"Name": {"Fn::Sub": "/${Project}-${Environment}-${Component}/completed-comms-report/clientIds"}, "Type": "String", "Value": "[]"},
    }
    statement(t, "WriteReportRole", "ReportClientLists")["Resource"].pop()


def t20c(t):
    del t["Resources"]["GlueDatabase"]["Condition"]
    t["Globals"]["Function"]["Environment"]["Variables"]["DATA_LOCATION"] = {"Fn::Sub": "s3://${DataBucket}"}


def t20d(t):
    st = statement(t, "RunIngestionQueryRole", "Keys")
    st["Resource"] = st["Resource"][:1]


def t20e(t):
    statements = t["Resources"]["RunIngestionQueryRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    compare = next(st for st in statements if "Fn::If" in st and st["Fn::If"][0] == "ComparesWithExisting")
    compare["Fn::If"][1]["Action"].append("s3:PutObject")


def t20f(t):
    statements = t["Resources"]["RunReportQueryRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "Theirs", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": {"Ref": "ExistingDataKeyArn"}})


def t35a(t):
    del t["Resources"]["WatchdogStateMachine"]["Properties"]["DefinitionSubstitutions"]["PublishMetricFunctionArn"]


def t35b(t):
    t["Resources"]["IngestionStateMachine"]["Properties"]["Logging"]["IncludeExecutionData"] = True


def t35c(t):
    t["Resources"]["WatchdogStateMachine"]["Properties"]["DefinitionSubstitutions"]["RunQueryFunctionArn"] = {
        "Fn::GetAtt": ["RunIngestionQueryFunction", "Arn"]
    }


def t35d(t):
    t["Resources"]["WatchdogStateMachine"]["Properties"]["DefinitionSubstitutions"]["QueryStateMachineArn"] = {
        "Ref": "QueryIngestionStateMachine"
    }


def t35e(t):
    alarm = next(
        r for r in t["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and CATALOG["watchdog"]["checks"][0]["alarmSuffix"] in json.dumps(r["Properties"].get("AlarmName"))
    )
    alarm["Properties"]["Threshold"] = 12345


def t35f(t):
    statements = t["Resources"]["ReadOnlyPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    for st in statements:
        resources = st.get("Resource")
        if isinstance(resources, list):
            st["Resource"] = [r for r in resources if "/request_item_status\"" not in json.dumps(r) + '"']


def m8(ms):
    poll = states(ms["query"])["Poll Query"]
    poll["Catch"] = []
    poll["Retry"][0]["ErrorEquals"].append("Retryable.QueryFailed")


def m9(ms):
    states(ms["query"])["Poll Query"]["Catch"][0]["ErrorEquals"].remove("Retryable.CommitConflict")


def m34(ms):
    states(ms["watchdog"], "For Each Check")["Check: Run Query"]["TimeoutSeconds"] = 3600


def m34b(ms):
    ms["watchdog"]["TimeoutSeconds"] = 3600


def m34c(ms):
    ms["query"]["TimeoutSeconds"] = 3600


def m10(ms):
    st = states(ms["query"])["Reruns Exhausted"]
    del st["CausePath"]
    st["Cause"] = "The query lost an Iceberg commit race 4 times; see the execution history."


def m10b(ms):
    states(ms["completed-comms-report"], "For Each Client")["Deliver Report"]["Catch"] = []


def m10c(ms):
    st = states(ms["watchdog"], "For Each Check")["Metrics Not Published"]
    st["Parameters"]["cause.$"] = "States.Format('{}: PutMetricData kept failing after 5 resumed attempts', $.query)"


def m11(ms):
    states(ms["setup"])["Sync Saved Queries"]["TimeoutSeconds"] = 30
    for r in states(ms["setup"])["Check Input"]["Retry"]:
        r["ErrorEquals"] = [e for e in r["ErrorEquals"] if e not in cd.TIMEOUT_ERRORS]


def m11b(ms):
    publish = states(ms["watchdog"], "For Each Check")["Publish Metrics"]
    publish["Retry"].append({"ErrorEquals": ["Sandbox.Timedout"], "MaxAttempts": 2})


TEMPLATE_DEFECTS = [
    ("1 core key by alias ARN", t1, "alias ARN"),
    ("1 kms:Encrypt", t1, "kms:Encrypt"),
    ("2 topic under alias/aws/sns", t2, "AlarmTopic: must be encrypted"),
    ("2 prod without destination", t2b, "no alarm destination"),
    ("3 hash key decryptable by the account", t3, "kms:*"),
    ("3 hash key readable by reports", t3b, "RunReportQueryRole: may read the hash key"),
    ("31 the account may grant or re-police the hash key", t31a, "by IAM delegation"),
    ("31 no Deny for everyone else", t31b, "no explicit Deny of Decrypt"),
    ("31 no pinned fingerprint", t31c, "no pinned hash key fingerprint"),
    ("31 a vault change unalarmed", t31d, "no alarm when the vault object changes"),
    ("31 a default that adopts", t31e, "a default that adopts"),
    ("31 a part of the running system's storage named", t31e, "no mode, is not refused"),
    ("31 backups by AWS's all-bucket policies", t31f, "BackupRole: AWS's managed backup policies"),
    ("31 recovery points deletable", t31f, "does not deny deleting recovery points"),
    ("31 break glass trusts the account with MFA", t31g, "not the named BreakGlassPrincipalArns"),
    ("31 break glass used in silence", t31g, "no alarm when the break-glass role's use changes"),
    ("31 uploads under another key", t31h, "DataBucketPolicy: does not deny uploads under any key but Key"),
    ("31 the core key outside S3", t31h, "WriteReportRole/CoreKeyEncryptReports: uses the core key other than through S3"),
    ("31 reports in the user workgroup", t31i, "RunReportQueryRole: starts queries in"),
    ("31 a log retention CloudWatch refuses", t31i, "LogRetentionDays: accepts values"),
    ("31 reports may read the vault", t31j, "RunReportQueryRole: may read the hash key"),
    ("31 reports may decrypt the vault", t31j, "HashKeyKey/HashKeyPolicyDecryptIngestionAndBreakGlass: decrypts for"),
    ("32.5 a log group not forwarded", t32e, "WatchdogLogGroup: not forwarded to LogDestinationArn"),
    ("32.7 the whole core bucket readable", t32g, "RunIngestionQueryRole/CoreSourceRead: reads the core bucket beyond"),
    ("32.4 no point-in-time backups", t32d, "no continuous (point-in-time) backup kept 31 days"),
    ("32.4 no copy to another account", t32d, "no copy to BackupCopyVaultArn"),
    ("32.4 production vault unlocked", t32d, "BackupVault: not locked in production"),
    ("32.7 compare-only metrics in the running system's series", t32h, "Globals: ENVIRONMENT (the metrics' environment)"),
    ("32.7 an alarm on the running system's series", t32h, "OverdueRequestsAlarm: watches the environment's series"),
    ("32.4 backups never restored", t32i, "DataBucket: no restore testing of its backups"),
    ("4 data bucket deleted with the stack", t4, "DataBucket: DeletionPolicy"),
    ("4 removed files kept forever", t4, "noncurrent-version expiry"),
    ("5 housekeeping may run ingestion", t5, "RunHousekeepingQueryRole: starts queries in"),
    ("5 core bucket without s3:ResourceAccount", t5b, "without s3:ResourceAccount"),
    ("6 workgroup not enforced", t6, "CoreWorkgroup: EnforceWorkGroupConfiguration"),
    ("6 trust without aws:SourceAccount", t6b, "PollQueryRole: trusts lambda.amazonaws.com"),
    ("6 PassRole to any service", t6c, "without iam:PassedToService"),
    ("6 name parameter without pattern", t6c, "parameter CoreDatabase: no AllowedPattern"),
    ("7 schedule without DLQ", t7, "IngestionSchedule: no dead-letter queue"),
    ("7 silence does not breach", t7, "WatchdogSchedule: no alarm when"),
    ("issue 20: data bucket not backed up", t20, "DataBucket: no AWS Backup selection"),
    ("issue 20: backups deleted with the stack", t20, "BackupVault: the backups would go with the stack"),
    ("issue 20: a client list reset by an update", t20b, "CompletedCommsReportClients: a report client list managed by the stack"),
    ("issue 20: a client list write-report cannot read", t20b, "WriteReportRole: may not read /<csi>/completed-batch-report/clientIds"),
    ("issue 20: a Glue database created over the adopted one", t20c, "GlueDatabase: created even when the stack adopts"),
    ("issue 20: the adopted bucket ignored", t20c, "Globals: Sub ${DataBucket} outside Fn::If [CreatesDataBucket"),
    ("issue 20: compare-only writes the running system's tables", t20e, "RunIngestionQueryRole: may s3:PutObject on the running system's storage"),
    ("issue 20: the running system's key for encrypting", t20f, "RunReportQueryRole: may kms:GenerateDataKey on the running system's storage"),
    ("issue 20: another role reading the running system's", t20f, "RunReportQueryRole: reads the running system's storage"),
    ("35 a substitution missing", t35a, "WatchdogStateMachine: ${PublishMetricFunctionArn} has no substitution"),
    ("35 execution data logged", t35b, "IngestionStateMachine: logs execution data"),
    ("35 reports run with ingestion's run-query", t35c, "watchdog: runs its queries with RunIngestionQueryFunction"),
    ("35 reports run in ingestion's query loop", t35d, "watchdog: runs its queries with RunIngestionQueryFunction"),
    ("35 an alarm threshold not the catalog's", t35e, "threshold 12345"),
    ("35 a table Power BI may not read", t35f, "ReadOnlyPolicy tables differ from the catalog"),
    ("issue 20: adopted files unreadable", t20d, "RunIngestionQueryRole: reaches the data bucket but may not use ExistingDataKeyArn"),
]
MACHINE_DEFECTS = [
    ("8 retryable failure polled again", m8, "by polling the same dead query"),
    ("8 retryable failure not rerun", m8, "query/Poll Query: does not rerun"),
    ("9 a commit conflict fails the query", m9, "query/Poll Query: does not rerun"),
    ("34 a query loop cut short by its caller", m34, "watchdog/Check: Run Query: TimeoutSeconds must exceed ${QueryStateMachineArn}'s"),
    ("34 the watchdog cut off by its timeout", m34b, "watchdog: TimeoutSeconds 3600 does not outlast its longest path"),
    ("34 a query loop cut off by its timeout", m34c, "query: TimeoutSeconds 3600 does not outlast its longest path"),
    ("10 Fail state naming nothing", m10, "query/Reruns Exhausted: Fail state without CausePath"),
    ("10 one client stops the others", m10b, "Deliver Report: a failure here stops every client"),
    ("10 watchdog attempt count spelt", m10c, "the count must come from $.published.interruptions"),
    ("11 Task shorter than its Lambda", m11, "Sync Saved Queries: TimeoutSeconds 30"),
    ("11 Lambda timeout not retried", m11, "Check Input: does not retry its Lambda's own timeout"),
    ("11 publish-metric timeout retried", m11b, "Publish Metrics: retries a timed-out"),
]


def machine_defect_top_level_timeout():
    """A definition without a top-level TimeoutSeconds, through the deployed-machine check."""
    texts = cd.machine_texts()
    watchdog = json.loads(texts["statemachines/watchdog.asl.json"])
    del watchdog["TimeoutSeconds"]
    texts["statemachines/watchdog.asl.json"] = json.dumps(watchdog)
    cd.problems.clear()
    cd.check_state_machines(copy.deepcopy(TEMPLATE), texts)
    expected = "statemachines/watchdog.asl.json: no top-level TimeoutSeconds"
    return [] if any(expected in p for p in cd.problems) else [f"35 no top-level TimeoutSeconds: expected {expected!r}, got {cd.problems}"]


def main():
    cd.problems.clear()
    template_checks(copy.deepcopy(TEMPLATE))
    for name, m in MACHINES.items():
        machine_checks(name, copy.deepcopy(m))
    if cd.problems:
        print("test_check_deploy: the template as it is has problems:", *cd.problems, sep="\n  ")
        return 1
    missed = []
    for label, defect, expected in TEMPLATE_DEFECTS + MACHINE_DEFECTS:
        cd.problems.clear()
        if (label, defect, expected) in TEMPLATE_DEFECTS:
            t = copy.deepcopy(TEMPLATE)
            defect(t)
            template_checks(t)
        else:
            ms = copy.deepcopy(MACHINES)
            defect(ms)
            for name, m in ms.items():
                machine_checks(name, m)
        if not any(expected in p for p in cd.problems):
            missed.append(f"{label}: expected {expected!r}, got {cd.problems}")
    missed += machine_defect_top_level_timeout()
    if missed:
        print("test_check_deploy: defects put back that check_deploy did not name:", *missed, sep="\n  ")
        return 1
    print(f"test_check_deploy: all {len(TEMPLATE_DEFECTS) + len(MACHINE_DEFECTS) + 1} defects put back are caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
