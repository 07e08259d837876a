"""系统设置 pages in words the office reads (walk-through /tmp/walk/report.md #11): 定时任务 shows each
task's Chinese description and a Chinese 周期 derived from config.BEAT_SCHEDULE's crontab (the technical
names, the broker only to the administrator); 时限设置 takes times as 08:30 and explains number formats."""
import html as html_lib
import re

from celery.schedules import crontab

from conftest import login

TECHNICAL = ("crontab", "sqla+", "redis://", "cso.sweep", "cso.bulletin", "bulletin-weekly", "m/h/dM/MY/d")


def _page(client, url, **kw):
    return html_lib.unescape(client.get(url, **kw).get_data(as_text=True))


def test_schedule_page_reads_in_chinese_for_the_office_and_the_leader(client):
    beat = client.application.config["BEAT_SCHEDULE"]
    for user in ("office", "leader"):
        login(client, user)
        page = _page(client, "/settings/schedule/")
        table = re.search(r'<table[^>]*id="cso-schedule".*?</table>', page, re.S).group(0)
        for text in ("每15分钟", "每周五17:00", "每月1日8:00", "每季度首日8:30", "每5分钟", "每天3:30"):
            assert f"<td>{text}</td>" in table, (user, text)
        for entry in beat.values():
            assert entry["description"] in table
            assert not re.match(r"^每.{1,8}[：:]", entry["description"])  # the 周期 is not written twice
        for word in TECHNICAL:
            assert word not in page, (user, word)
        assert "北京时间" in page or "时间为" in page


def test_schedule_text_comes_from_the_crontab(client, monkeypatch):
    """A task added to config.BEAT_SCHEDULE shows its own 周期, read off its crontab (no second list)."""
    beat = dict(client.application.config["BEAT_SCHEDULE"])
    beat["test-entry"] = {"task": "cso.heartbeat", "schedule": crontab(minute=0, hour=9, day_of_week="mon,wed"),
                          "description": "测试用的定时任务"}
    beat["test-entry-2"] = {"task": "cso.heartbeat", "schedule": crontab(minute=45, hour=7, day_of_month="15"),
                            "description": "测试用的定时任务二"}
    monkeypatch.setitem(client.application.config, "BEAT_SCHEDULE", beat)
    login(client, "office")
    page = _page(client, "/settings/schedule/")
    assert "<td>测试用的定时任务</td><td>每周一、周三9:00</td>" in page
    assert "<td>测试用的定时任务二</td><td>每月15日7:45</td>" in page


def test_the_administrator_sees_the_technical_names(client):
    login(client, "admin")
    page = _page(client, "/settings/schedule/")
    assert "cso.sweep" in page and "bulletin-weekly" in page and "任务队列" in page
    assert "<td>每15分钟</td>" in page and "crontab" not in page


def test_deadlines_page_takes_times_as_hh_mm(client):
    from app import db
    from app.models import Setting

    login(client, "office")
    page = _page(client, "/settings/deadlines/")
    assert "HHMM" not in page
    assert re.search(r'<input[^>]*type="time"[^>]*name="quiet_start"[^>]*value="08:30"', page)
    assert re.search(r'<input[^>]*type="time"[^>]*name="quiet_end"[^>]*value="18:00"', page)
    assert "如 08:30" in page
    resp = client.post("/settings/deadlines/", data={"quiet_start": "10:00", "quiet_end": "17:30"}, follow_redirects=True)
    assert "已保存" in resp.get_data(as_text=True)
    with client.application.app_context():
        stored = {k: db.session.get(Setting, f"policy.{k}").value for k in ("quiet_start", "quiet_end")}
    assert stored == {"quiet_start": "1000", "quiet_end": "1730"}  # the mail clock's HHMM numbers
    assert 'value="10:00"' in _page(client, "/settings/deadlines/")
    for bad in ("25:00", "10:75", "十点"):
        page = html_lib.unescape(client.post("/settings/deadlines/", data={"quiet_start": bad},
                                             follow_redirects=True).get_data(as_text=True))
        assert "邮件发送开始时间" in page and ("00:00到23:59" in page or "如 08:30" in page), bad
    login(client, "leader")  # read-only: the times as 10:00 too
    page = _page(client, "/settings/deadlines/")
    values = re.search(r'id="cso-policy-values".*?</table>', page, re.S).group(0)
    assert "<td>10:00</td>" in values and "<td>1000</td>" not in values


def test_number_formats_are_explained_in_chinese_with_an_example(client):
    from app import clock

    year = clock.today().year
    for user in ("office", "leader"):
        login(client, user)
        page = _page(client, "/settings/deadlines/")
        help_text = re.search(r'id="cso-number-help".*?</div>', page, re.S).group(0)
        assert f"{year}-0001" in help_text and "年份" in help_text and "补足4位" in help_text
        assert "序号" in help_text
        assert f"{year}-0001" in page.split('id="cso-number-help"')[1].split("</div>", 1)[1]  # each kind's example
