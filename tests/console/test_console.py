"""The web console in a real browser (Debian's chromium, headless, through selenium), against a real
`keyward serve`: sign in, switch the scope with its confirmation dialog, see the references it broke, sign
out. Cookie flags, CSRF and cross-site posts are checked too. Screenshots of every page go to
$KEYWARD_SCREENSHOTS (default tests/console/screenshots, ignored by git).

Run by `make test` (scripts/test.sh) as: .venv/bin/python tests/console/test_console.py
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("KEYWARD_BIN", os.path.join(ROOT, ".build/debug/keyward"))
# Unique per run: the moto server is shared with the rest of the suite.
DB_SECRET = f"prod/db-{os.getpid()}"
SHOTS = os.environ.get("KEYWARD_SCREENSHOTS", os.path.join(ROOT, "tests/console/screenshots"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aws_platform():
    """A platform identity in the moto server `make test` started (None without one): the AWS_* variables."""
    if not os.environ.get("KEYWARD_TEST_AWS_ENDPOINT"):
        return None
    line = subprocess.run([sys.executable, os.path.join(ROOT, "tests/aws/platform_user.py")], capture_output=True, text=True,
                          check=True).stdout.strip()
    return dict(pair.split("=", 1) for pair in line.removeprefix("export ").split())


class Keyward:
    def __init__(self, environment=None):
        self.data = tempfile.mkdtemp(prefix="keyward-console-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"PATH": "/usr/bin:/bin", **(environment or {})}
        self.process = subprocess.Popen([BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data,
                                         "--log-level", "warning", "--external-id-prefix", "workato"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with open(os.path.join(self.data, "operator-token")) as f:
            self.token = f.read().strip()

    def cli(self, *args):
        env = {"KEYWARD_SERVER": self.url, "KEYWARD_TOKEN": self.token, "PATH": "/usr/bin:/bin"}
        result = subprocess.run([BINARY, *args, "--output", "json"], env=env, capture_output=True, text=True, check=True)
        return json.loads(result.stdout) if result.stdout.strip() else None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def click(driver, by, value):
    """Waits until the element of the current page is clickable, then clicks it: never a stale element."""
    WebDriverWait(driver, 20, ignored_exceptions=(Exception,)).until(lambda d: d.find_element(by, value).is_enabled())
    for _ in range(3):
        try:
            driver.find_element(by, value).click()
            return
        except Exception:
            time.sleep(0.2)
    driver.find_element(by, value).click()


def type_into(driver, by, value, text):
    WebDriverWait(driver, 20, ignored_exceptions=(Exception,)).until(lambda d: d.find_element(by, value).is_displayed())
    driver.find_element(by, value).send_keys(text)


def visible_text(wait, by, value):
    """The text of an element once it is shown, read inside the wait so a page still loading is retried, not fatal."""
    return wait.until(lambda d: d.find_element(by, value).is_displayed() and d.find_element(by, value).text)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def aws_guide(driver, wait, keyward, ws, platform):
    """Project Settings › Secrets management with AWS: the guide's two steps, then Verify, against moto."""
    import boto3
    admin = boto3.client("iam", endpoint_url=os.environ["KEYWARD_TEST_AWS_ENDPOINT"], region_name="us-east-1",
                         aws_access_key_id=os.environ["KEYWARD_TEST_AWS_ADMIN_KEY_ID"],
                         aws_secret_access_key=os.environ["KEYWARD_TEST_AWS_ADMIN_SECRET"])
    secrets = boto3.client("secretsmanager", endpoint_url=os.environ["KEYWARD_TEST_AWS_ENDPOINT"], region_name="us-east-1",
                           aws_access_key_id=os.environ["KEYWARD_TEST_AWS_ADMIN_KEY_ID"],
                           aws_secret_access_key=os.environ["KEYWARD_TEST_AWS_ADMIN_SECRET"])
    driver.get(f"{keyward.url}/console/workspaces/{ws}/secrets-management")
    click(driver, By.LINK_TEXT, "Project Settings › Secrets management")
    wait.until(ready.visibility_of_element_located((By.ID, "save-provider")))
    check("Which secrets manager do you want to use?" in driver.page_source, "the project page asks which secrets manager")
    click(driver, By.CSS_SELECTOR, "input[value=aws_secrets_manager]")
    type_into(driver, By.ID, "region", "us-east-1")
    click(driver, By.ID, "save-provider")
    external_id = visible_text(wait, By.ID, "external-id")
    check(external_id == f"workato_iam_external_id_{ws}_1", f"the External ID has the guide's form: {external_id}")
    check(driver.find_element(By.ID, "account-id").text == "123456789012", "the platform's account id is shown")
    check(len(driver.find_elements(By.CSS_SELECTOR, "button.copy")) == 4, "each value has a copy button")
    shot(driver, "07-aws-guide")

    # The customer creates the role from the trust policy shown, and pastes its ARN back.
    trust = driver.find_element(By.ID, "trust-policy").text
    name = f"console-{os.getpid()}"
    role = admin.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    admin.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": "*"}]}))
    secrets.create_secret(Name=f"console/{name}", SecretString='{"password":"canary-console"}')

    field = driver.find_element(By.ID, "role-arn")
    field.send_keys("arn:aws:iam::123:user/nope")
    check(not driver.execute_script("return arguments[0].checkValidity()", field), "a malformed role ARN is flagged inline")
    field.clear()
    field.send_keys(role)
    click(driver, By.ID, "save-role")
    wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "The role is saved"))
    type_into(driver, By.ID, "sample-secret", f"console/{name}")
    click(driver, By.ID, "verify-role")
    report = visible_text(wait, By.ID, "verification")
    for line in ("assume_role pass", "external_id_enforced pass", "read_sample_secret pass"):
        check(line in report, f"verification shows {line}: {report}")
    check("canary-console" not in driver.page_source, "the sample secret's value is never shown")
    shot(driver, "08-aws-verified")

    # The reference saved under workspace scope is broken here; the migration panel moves it once it resolves.
    check("broken: out of scope" in driver.page_source, "the connection list shows the broken reference")
    click(driver, By.ID, "migrate-dry-run")
    result = visible_text(wait, By.ID, "migration-result")
    check("failed" in result and "secret_not_found" in result, f"the dry run says why it cannot move yet: {result}")
    try:
        secrets.create_secret(Name=DB_SECRET, SecretString='{"password":"canary-migrated"}')
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=DB_SECRET, SecretString='{"password":"canary-migrated"}')
    click(driver, By.ID, "migrate-apply")
    wait.until(ready.text_to_be_present_in_element((By.ID, "migration-result"), "rebound"))
    check("broken: out of scope" not in driver.page_source, "the reference works again")
    shot(driver, "10-migrated")

    # Testing the connection resolves it as at run time; this one has no host, which the test says.
    click(driver, By.ID, "test-1")
    report = visible_text(wait, By.ID, "test-result")
    check("resolve pass" in report and "connect fail" in report, f"the test shows each step: {report}")
    check("canary-migrated" not in driver.page_source, "resolved values are never shown")
    shot(driver, "11-connection-test")


def main():
    platform = aws_platform()
    keyward = Keyward(platform)
    driver = None
    try:
        ws = keyward.cli("workspace", "create", "--name", "Acme")["id"]
        keyward.cli("addon", "grant", "advanced_security", "--workspace", str(ws))
        keyward.cli("project", "create", "--workspace", str(ws), "--name", "Payments")
        keyward.cli("secrets-management", "store", "set", "--workspace", str(ws), "--provider", "builtin")
        keyward.cli("connection", "create", "--workspace", str(ws), "--project", "1", "--name", "warehouse", "--type", "postgresql",
                    "--field", f"password=${{secret:{DB_SECRET}#password}}")

        driver = browser()
        # A form post replaces the page while the wait reads it: the browser then reports the node as gone, which
        # only means "not yet", so every wait retries on any driver error until its deadline.
        wait = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,))
        driver.get(keyward.url + "/console")
        check(driver.current_url.endswith("/console/sign-in"), "an anonymous visitor is sent to sign in")
        shot(driver, "01-sign-in")

        # A wrong token is refused with the API's reason and fix hint.
        type_into(driver, By.ID, "token", "kw_0000000000000000_" + "x" * 43)
        click(driver, By.CSS_SELECTOR, "button[type=submit]")
        check("not valid" in visible_text(wait, By.CSS_SELECTOR, "[role=alert]"), "a bad token shows why")

        type_into(driver, By.ID, "token", keyward.token)
        click(driver, By.CSS_SELECTOR, "button[type=submit]")
        wait.until(ready.url_contains("/console/workspaces"))
        session = next(c for c in driver.get_cookies() if c["name"] == "kw_console")
        check(session["httpOnly"] and session.get("sameSite") == "Strict", f"session cookie flags: {session}")
        shot(driver, "02-workspaces")

        click(driver, By.LINK_TEXT, "Settings › Secrets management")
        wait.until(ready.visibility_of_element_located((By.ID, "save-scope")))
        check("1</strong> working" in driver.page_source, "the page shows the working reference")
        shot(driver, "03-workspace-secrets-management")

        # Choose per-project scope: the warning, then the dialog listing exactly what breaks.
        click(driver, By.CSS_SELECTOR, "input[value=project]")
        click(driver, By.ID, "save-scope")
        dialog = wait.until(ready.visibility_of_element_located((By.ID, "confirm-switch")))
        check(f"secret:{DB_SECRET}#password" in dialog.text and "warehouse" in dialog.text, "the dialog lists the breaking reference")
        check(driver.switch_to.active_element.get_attribute("id") == "confirm-button", "focus is inside the dialog")
        inside = "return document.getElementById('confirm-switch').contains(document.activeElement)"
        for keys in (Keys.TAB, Keys.TAB, Keys.TAB, Keys.SHIFT + Keys.TAB, Keys.SHIFT + Keys.TAB):
            driver.switch_to.active_element.send_keys(keys)
            check(driver.execute_script(inside), f"keyboard focus stays in the dialog ({keys!r})")
        driver.execute_script("document.getElementById('confirm-button').focus()")
        shot(driver, "04-confirm-scope-switch")
        click(driver, By.ID, "confirm-button")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "The scope is now"))
        check("The scope is now" in driver.page_source and "1</strong> out of scope" in driver.page_source,
              "after the switch the reference shows as out of scope")
        shot(driver, "05-after-switch")
        audit = keyward.cli("audit", "list", "--workspace", str(ws), "--action", "secrets.scope.switch")
        check(len(audit["items"]) == 1, "the switch is audited")

        # The audit page, filtered to scope switches.
        driver.get(f"{keyward.url}/console/workspaces")
        click(driver, By.LINK_TEXT, "Audit trail")
        wait.until(ready.visibility_of_element_located((By.ID, "filter-action")))
        click(driver, By.CSS_SELECTOR, "#filter-action option[value='secrets.scope.switch']")
        click(driver, By.ID, "apply-filter")
        wait.until(ready.url_contains("action=secrets.scope.switch"))
        records = visible_text(wait, By.ID, "audit-records")
        check("secrets.scope.switch" in records and "secrets.store.create" not in records, f"the audit filter works: {records}")
        shot(driver, "05b-audit")
        driver.get(f"{keyward.url}/console/workspaces/{ws}/secrets-management?switched=project")

        # Readable at phone width: nothing wider than the screen.
        driver.set_window_size(390, 844)
        driver.refresh()
        width = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        check(width[0] <= width[1], f"no horizontal scrolling at phone width: {width}")
        shot(driver, "06-phone-width")
        driver.set_window_size(1280, 900)

        # A form posted without the session's CSRF token, or from another site, changes nothing.
        cookie = f"kw_console={session['value']}"
        for headers in ({"Cookie": cookie}, {"Cookie": cookie, "Origin": "https://evil.example"}):
            request = urllib.request.Request(f"{keyward.url}/console/workspaces/{ws}/secrets-management/scope",
                                             data=b"scope=workspace", headers=headers, method="POST")
            try:
                urllib.request.urlopen(request)
                raise AssertionError("a form without its CSRF token was accepted")
            except urllib.error.HTTPError as error:
                check(error.code == 403, f"forged form refused: {error.code}")
        check(keyward.cli("secrets-management", "show", "--workspace", str(ws))["scope"] == "project", "nothing changed")

        if platform:
            aws_guide(driver, wait, keyward, ws, platform)

        # A second project on the built-in store: secrets are added, versioned, listed without values.
        keyward.cli("project", "create", "--workspace", str(ws), "--name", "Billing")
        driver.get(f"{keyward.url}/console/workspaces/{ws}/projects/2/secrets-management")
        click(driver, By.CSS_SELECTOR, "input[value=builtin]")
        click(driver, By.ID, "save-provider")
        wait.until(ready.visibility_of_element_located((By.ID, "secret-name")))
        for version, value in ((1, "canary-one"), (2, "canary-two")):
            type_into(driver, By.ID, "secret-name", "billing/api")
            type_into(driver, By.ID, "secret-value", value)
            click(driver, By.ID, "save-secret")
            wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), f"as version {version}"))
        check("as version 2" in driver.page_source and "canary" not in driver.page_source, "versions listed, values never shown")
        shot(driver, "09-builtin-secrets")

        # A new connection whose credential comes from the picker, then its test against a real HTTP server
        # (Keyward's own /healthz, which answers 200).
        type_into(driver, By.ID, "connection-name", "billing-api")
        click(driver, By.CSS_SELECTOR, "#connection-type option[value=http]")
        type_into(driver, By.ID, "connection-fields", f"base_url={keyward.url}/healthz\nauth_header=Bearer ")
        type_into(driver, By.ID, "picker-name", "billing/api")
        click(driver, By.ID, "insert-reference")
        fields = driver.find_element(By.ID, "connection-fields").get_attribute("value")
        check(fields.endswith("auth_header=Bearer ${secret:billing/api}"), f"the picker writes the reference: {fields!r}")
        click(driver, By.ID, "save-connection")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Created the connection billing-api"))
        check("secret:billing/api</code> in auth_header: <strong class=\"ref-ok\">ok" in driver.page_source, "the new reference is ok")
        shot(driver, "10b-new-connection")
        test_button = driver.find_element(By.XPATH, "//tr[td[text()='billing-api']]//button").get_attribute("id")
        click(driver, By.ID, test_button)
        report = visible_text(wait, By.ID, "test-result")
        check("resolve pass" in report and "connect pass" in report, f"the HTTP connection test passes: {report}")
        check("canary-two" not in driver.page_source, "the resolved credential is never shown")

        # Edit the connection: its fields come back as name=value lines; the change is saved through the API.
        row_id = test_button.removeprefix("test-")
        click(driver, By.CSS_SELECTOR, f"#edit-{row_id} summary")
        fields_box = driver.find_element(By.ID, f"edit-fields-{row_id}")
        check("auth_header=Bearer ${secret:billing/api}" in fields_box.get_attribute("value"), "the edit form shows the reference as written")
        fields_box.send_keys("\ntest_path=/healthz")
        shot(driver, "12-edit-connection")
        click(driver, By.ID, f"save-{row_id}")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Saved the connection billing-api"))
        saved = keyward.cli("connection", "get", "--workspace", str(ws), "--project", "2", row_id)
        check(saved["fields"].get("test_path") == "/healthz" and saved["fields"]["auth_header"] == "Bearer ${secret:billing/api}",
              f"the edit is saved, the reference kept as written: {saved['fields']}")

        # Deleting a secret asks first, names what breaks, and Cancel changes nothing.
        type_into(driver, By.ID, "secret-name", "billing/old")
        type_into(driver, By.ID, "secret-value", "canary-old")
        click(driver, By.ID, "save-secret")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Saved billing/old as version 1"))
        click(driver, By.XPATH, "//tr[td/code[text()='billing/old']]//button")
        question = visible_text(wait, By.ID, "confirm-delete")
        check("Delete the secret billing/old" in question and "secret_not_found" in question, f"the question says what breaks: {question}")
        check(driver.switch_to.active_element.get_attribute("id") == "confirm-delete-confirm", "the confirm button has the focus")
        shot(driver, "13-confirm-delete")
        click(driver, By.ID, "confirm-delete-cancel")
        wait.until(ready.visibility_of_element_located((By.ID, "secret-name")))
        check("billing/old" in driver.page_source, "Cancel deletes nothing")
        click(driver, By.XPATH, "//tr[td/code[text()='billing/old']]//button")
        click(driver, By.ID, "confirm-delete-confirm")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Deleted the secret billing/old"))
        check("<code>billing/old</code>" not in driver.page_source and "billing/api" in driver.page_source, "only that secret is gone")

        # Readable at phone width with the connections and secrets tables: nothing wider than the screen.
        driver.set_window_size(390, 844)
        driver.get(f"{keyward.url}/console/workspaces/{ws}/projects/2/secrets-management")
        wait.until(ready.visibility_of_element_located((By.ID, "connections-heading")))
        width = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        widest = driver.execute_script("""return Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""")
        check(width[0] <= width[1], f"no horizontal scrolling on the project page at phone width: {width} {widest}")
        shot(driver, "06b-project-phone-width")
        driver.set_window_size(1280, 900)

        # Switching back to one configuration for the workspace: the project stores' references break, and the
        # connection list says so.
        driver.get(f"{keyward.url}/console/workspaces/{ws}/secrets-management")
        click(driver, By.CSS_SELECTOR, "input[value=workspace]")
        click(driver, By.ID, "save-scope")
        dialog = visible_text(wait, By.ID, "confirm-switch")
        check("billing-api" in dialog and "secret:billing/api" in dialog, f"the dialog lists what breaks going back: {dialog}")
        click(driver, By.ID, "confirm-button")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "The scope is now"))
        driver.get(f"{keyward.url}/console/workspaces/{ws}/projects/2/secrets-management")
        wait.until(ready.visibility_of_element_located((By.ID, "connections-heading")))
        check("secret:billing/api</code> in auth_header: <strong class=\"ref-out_of_scope\">broken: out of scope" in driver.page_source,
              "after switching back the project's reference shows broken")
        driver.execute_script("document.getElementById('connections-heading').scrollIntoView()")
        shot(driver, "14-broken-after-switching-back")

        # Deleting the connection, confirmed.
        click(driver, By.CSS_SELECTOR, f"#edit-{row_id} summary")
        click(driver, By.ID, f"delete-{row_id}")
        check("Delete the connection billing-api?" in visible_text(wait, By.ID, "confirm-delete"), "deleting a connection asks first")
        click(driver, By.ID, "confirm-delete-confirm")
        wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Deleted the connection billing-api"))
        check("No connections yet." in driver.page_source, "the connection is gone")

        click(driver, By.CSS_SELECTOR, "header button")
        wait.until(ready.url_contains("/console/sign-in"))
        driver.get(keyward.url + "/console/workspaces")
        check(driver.current_url.endswith("/console/sign-in"), "after signing out the console needs a sign-in again")
        print("console: all browser checks passed")
    except Exception:
        if driver is not None:
            shot(driver, "failure")
        raise
    finally:
        if driver is not None:
            driver.quit()
        keyward.stop()


if __name__ == "__main__":
    sys.exit(main())
