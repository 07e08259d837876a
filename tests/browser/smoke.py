"""Real-browser smoke test of the portal (headless Chromium through Playwright).

    python tests/browser/smoke.py          # from the repository root

Starts ``run.py --demo`` on a free port with a fresh instance directory (SQLite), then:
``office`` logs in, tries to create an enterprise with a wrong unified social credit code
(refused, Chinese message next to the field, nothing saved), fixes the code and saves;
``officer01`` logs in and sees exactly its own enterprises, and not the new one.

Not a pytest module (no test functions): CI runs it as a script after
``apt-get install -y chromium``. Environment:

    SMOKE_CHROMIUM     browser binary (default /usr/bin/chromium)
    SMOKE_SCREENSHOTS  directory for the PNG screenshots (default: a new temp directory)
    SMOKE_BOOT_TIMEOUT seconds to wait for the server (default 90)

Exit code 0 when every check passed, 1 otherwise. Chinese text only renders in the
screenshots when a CJK font is installed (e.g. ``apt-get install -y fonts-wqy-microhei``);
the checks themselves read the DOM and do not depend on fonts.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from urllib.parse import quote

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("SMOKE_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "Smoke-Test-2026"
BOOT_TIMEOUT = float(os.environ.get("SMOKE_BOOT_TIMEOUT") or 90)
NAV_TIMEOUT_MS = 30_000

NEW_NAME = "浏览器测试企业有限公司"
OTHER_OFFICERS_ENTERPRISE = "焦作市云智信息技术有限公司"  # demo data: not served by officer01
APP_TITLE = "首席服务官工作平台"
CREDIT_ERROR = "统一社会信用代码校验位不正确"

# GB 32100-2015, computed here independently of app.validation
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17):
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


CREDIT_BODY = "91410800MA4KX0001"
GOOD_CODE = CREDIT_BODY + credit_check_char(CREDIT_BODY)
# same body, any other (valid) character as check digit: only the check digit is wrong
BAD_CODE = CREDIT_BODY + CREDIT_CHARSET[(CREDIT_CHARSET.index(GOOD_CODE[-1]) + 1) % 31]


class CheckFailed(Exception):
    pass


class Smoke:
    def __init__(self, shots_dir):
        self.passed = 0
        self.failed = 0
        self.shots_dir = shots_dir
        self.shots = []
        self.server_errors = []  # (status, url) of every 5xx answer the browser saw

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok    {label}", flush=True)
            return
        self.failed += 1
        print(f"  FAIL  {label}", flush=True)
        if detail:
            print("        " + str(detail).replace("\n", "\n        "), flush=True)
        raise CheckFailed(label)

    def shot(self, page, name):
        path = os.path.join(self.shots_dir, name + ".png")
        try:
            page.screenshot(path=path, full_page=True)
        except Exception as exc:  # noqa: BLE001 — a screenshot never decides the result
            print(f"  (screenshot {name} failed: {exc})")
            return None
        self.shots.append(path)
        return path


# --- server ---------------------------------------------------------------------------------


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, instance_dir, log_path):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["CSO_INSTANCE_DIR"] = instance_dir
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "run.py", "--demo", "--password", PASSWORD,
           "--port", str(port), "--no-worker"]
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        log.close()  # the child keeps its own copy of the descriptor


def wait_for_server(proc, base):
    deadline = time.monotonic() + BOOT_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckFailed(f"server exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(base + "/login/", timeout=5) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise CheckFailed(f"server did not answer GET /login/ within {BOOT_TIMEOUT:.0f} s (last: {last})")


def stop_server(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def print_server_output(log_path):
    print("----- server output -----")
    try:
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            lines = [ln for ln in fh if "GET /static/" not in ln]  # static files: noise
        sys.stdout.write("".join(lines))
    except OSError as exc:
        print(f"(no server output: {exc})")
    print("----- end of server output -----", flush=True)


# --- page helpers -----------------------------------------------------------------------------


def login(page, base, username):
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form [type=submit]")
    page.wait_for_load_state()


def path_of(page):
    return re.sub(r"^https?://[^/]+", "", page.url)


def record_count(page):
    """The "记录数: N" figure of a FAB list page, or None when absent."""
    match = re.search(r"记录数:?\s*(\d+)", page.inner_text("body"))
    return int(match.group(1)) if match else None


def list_rows(page):
    """(name, credit code, show path) of every row in a FAB list table."""
    headers = [h.strip() for h in page.locator("table.table-bordered.table-hover:not(.filters) thead th").all_inner_texts()]
    if "企业名称" not in headers:
        return []
    name_col = headers.index("企业名称")
    code_col = headers.index("统一社会信用代码") if "统一社会信用代码" in headers else None
    rows = []
    for row in page.locator("table.table-bordered.table-hover:not(.filters) tbody tr").all():
        cells = [c.strip() for c in row.locator(":scope > td").all_inner_texts()]
        if len(cells) <= name_col:
            continue
        link = row.locator("a[href*='/enterpriseview/show/']")
        href = link.first.get_attribute("href") if link.count() else None
        rows.append((cells[name_col], cells[code_col] if code_col is not None else None, href))
    return rows


def alerts(page, kind):
    return [t.strip() for t in page.locator(f".alert-{kind}").all_inner_texts() if t.strip()]


def has_cjk(text):
    return bool(re.search(r"[\u4e00-\u9fff]", text or ""))


# --- the scenario -----------------------------------------------------------------------------


def scenario(smoke, page, base):
    # 1. office logs in and lands on the Chinese home page
    print("1. office 登录")
    login(page, base, "office")
    smoke.shot(page, "01-home-office")
    body = page.inner_text("body")
    smoke.check(
        "office logs in and lands on the home page in Chinese",
        path_of(page) == "/" and APP_TITLE in page.locator("h2").first.inner_text()
        and page.locator("#cso-counts").count() == 1,
        f"url={page.url}\nalerts={alerts(page, 'danger')}\npage text: {body[:400]}",
    )

    # 2. a wrong credit code is refused, next to the field, in Chinese
    print(f"2. 新增企业，错误的统一社会信用代码 {BAD_CODE}")
    page.goto(base + "/enterpriseview/add")
    page.fill("input[name=name]", NEW_NAME)
    page.fill("input[name=credit_code]", BAD_CODE)
    with page.expect_navigation():
        page.click("form [type=submit]")
    page.wait_for_load_state()
    smoke.shot(page, "02-add-refused")
    field_cell = page.locator("td", has=page.locator("input[name=credit_code]"))
    field_text = field_cell.first.inner_text() if field_cell.count() else ""
    smoke.check(
        "wrong credit code refused with the Chinese message next to the field",
        path_of(page).startswith("/enterpriseview/add") and CREDIT_ERROR in field_text
        and page.input_value("input[name=name]") == NEW_NAME
        and page.input_value("input[name=credit_code]") == BAD_CODE,
        f"url={page.url}\ncredit_code cell: {field_text!r}\nalerts={alerts(page, 'danger')}",
    )

    # checked in a second tab so that the refused form stays open for the correction
    tab = page.context.new_page()
    try:
        tab.goto(base + "/enterpriseview/list/?_flt_2_name=" + quote("浏览器测试"))
        rows = list_rows(tab)
        smoke.check(
            "refused enterprise was not saved",
            record_count(tab) == 0 and not rows and NEW_NAME not in tab.inner_text("body"),
            f"record count={record_count(tab)} rows={rows}",
        )
    finally:
        tab.close()

    # 3. corrected on the same form, the enterprise is saved
    print(f"3. 改正统一社会信用代码为 {GOOD_CODE} 并保存")
    page.fill("input[name=credit_code]", GOOD_CODE)
    with page.expect_navigation():
        page.click("form [type=submit]")
    page.wait_for_load_state()
    smoke.shot(page, "03-after-save")
    success, danger = alerts(page, "success"), alerts(page, "danger")
    # FAB redirects to the page before the form in the session's page history (shared by
    # all tabs: here the blank add form, because of the second tab); the posted values
    # must be gone either way
    form_left = (page.locator("input[name=name]").count() == 0
                 or page.input_value("input[name=name]") != NEW_NAME)
    smoke.check(
        "enterprise with a valid credit code saved (redirected, Chinese success message)",
        success and not danger and all(has_cjk(t) for t in success) and form_left,
        f"url={page.url}\nsuccess={success}\ndanger={danger}\nposted form still shown: {not form_left}",
    )
    print(f"        保存后跳转到 {path_of(page)}，提示：{'；'.join(t.lstrip('×').strip() for t in success)}")

    page.goto(base + "/enterpriseview/list/?_flt_3_credit_code=" + GOOD_CODE)
    smoke.shot(page, "04-list-new-enterprise")
    rows = list_rows(page)
    smoke.check(
        "new enterprise listed with its credit code",
        record_count(page) == 1 and len(rows) == 1 and rows[0][0] == NEW_NAME
        and rows[0][1] == GOOD_CODE and rows[0][2],
        f"record count={record_count(page)} rows={rows}",
    )
    new_show = rows[0][2]

    # 4. officer01 sees exactly its own enterprises
    print("4. 退出，officer01 登录")
    page.goto(base + "/logout/")  # the confirm page: logout is a POST with the CSRF token
    with page.expect_navigation():
        page.click("#cso-logout-confirm [type=submit]")
    login(page, base, "officer01")
    smoke.shot(page, "05-home-officer01")
    home_names = [t.strip() for t in page.locator("#cso-my-enterprises tbody tr td:first-child").all_inner_texts()]
    smoke.check(
        "officer01 home page lists its enterprises (#cso-my-enterprises)",
        path_of(page) == "/" and home_names and len(set(home_names)) == len(home_names)
        and NEW_NAME not in home_names and OTHER_OFFICERS_ENTERPRISE not in home_names,
        f"url={page.url}\nhome enterprises={home_names}",
    )
    print(f"        officer01 的包联企业：{'、'.join(home_names)}")

    page.goto(base + "/enterpriseview/list/")
    smoke.shot(page, "06-list-officer01")
    rows = list_rows(page)
    listed = [name for name, _, _ in rows]
    body = page.inner_text("body")
    smoke.check(
        "officer01 enterprise list = its home page enterprises, nothing else",
        sorted(listed) == sorted(home_names) and record_count(page) == len(home_names)
        and NEW_NAME not in body and GOOD_CODE not in body and OTHER_OFFICERS_ENTERPRISE not in body,
        f"list={listed} (record count {record_count(page)})\nhome={home_names}",
    )

    page.goto(base + "/enterpriseview/list/?_flt_3_credit_code=" + GOOD_CODE)
    smoke.check(
        "officer01 cannot find the new enterprise through the list filter",
        record_count(page) == 0 and not list_rows(page) and NEW_NAME not in page.inner_text("body"),
        f"record count={record_count(page)} rows={list_rows(page)}",
    )

    response = page.goto(base + new_show)
    smoke.shot(page, "07-show-refused-officer01")
    body = page.inner_text("body")
    status = response.status if response else None
    smoke.check(
        f"officer01 refused the new enterprise's page {new_show}",
        GOOD_CODE not in body and NEW_NAME not in body
        and (status in (403, 404) or not path_of(page).startswith(new_show)),
        f"status={status} url={page.url}\npage text: {body[:400]}",
    )
    print(f"        {new_show} → HTTP {status}，{page.url}")

    smoke.check("no HTTP 5xx answer during the run", not smoke.server_errors, smoke.server_errors)


def main():
    shots_dir = os.environ.get("SMOKE_SCREENSHOTS") or tempfile.mkdtemp(prefix="cso-smoke-shots-")
    os.makedirs(shots_dir, exist_ok=True)
    smoke = Smoke(shots_dir)
    instance_dir = tempfile.mkdtemp(prefix="cso-smoke-instance-")
    log_path = os.path.join(instance_dir, "server.log")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = None
    ok = False
    try:
        print(f"browser smoke: starting the portal on {base} (instance {instance_dir})", flush=True)
        proc = start_server(port, instance_dir, log_path)
        started = time.monotonic()
        wait_for_server(proc, base)
        print(f"browser smoke: server answered after {time.monotonic() - started:.1f} s", flush=True)

        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
                context.set_default_timeout(NAV_TIMEOUT_MS)
                page = context.new_page()
                context.on("response", lambda r: smoke.server_errors.append((r.status, r.url))
                           if r.status >= 500 else None)
                try:
                    scenario(smoke, page, base)
                    ok = True
                except CheckFailed:
                    smoke.shot(page, "99-failure")
                    print(f"        at {page.url}")
                except Exception:  # noqa: BLE001 — a timeout or a missing element is a failure too
                    smoke.failed += 1
                    print("  FAIL  unexpected error during the scenario")
                    traceback.print_exc(file=sys.stdout)
                    smoke.shot(page, "99-failure")
                    print(f"        at {page.url}")
            finally:
                browser.close()
    except CheckFailed as exc:
        if smoke.failed == 0:
            smoke.failed += 1
            print(f"  FAIL  {exc}")
    except Exception:  # noqa: BLE001 — browser launch, server start
        smoke.failed += 1
        print("  FAIL  could not run the smoke test")
        traceback.print_exc(file=sys.stdout)
    finally:
        stop_server(proc)
        if not ok:
            print_server_output(log_path)
        else:
            shutil.rmtree(instance_dir, ignore_errors=True)

    if smoke.shots:
        print("screenshots:")
        for path in smoke.shots:
            print("  " + path)
    ok = ok and smoke.failed == 0
    print(f"browser smoke: {smoke.passed} passed, {smoke.failed} failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
