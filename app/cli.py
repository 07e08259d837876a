"""`flask cso …` commands."""
import click
from flask import current_app
from flask.cli import AppGroup

from . import db
from .vocab import ALL_ROLES

cso = AppGroup("cso", help="首席服务官工作平台管理命令")


@cso.command("sync-roles")
def sync_roles_cmd():
    """Create every permission and give each role exactly its declared set (idempotent)."""
    from .roles import sync_roles

    for role, (added, removed) in sync_roles().items():
        click.echo(f"{role}: +{added} -{removed}")


def print_logins(password, logins):
    click.echo("演示账号（密码均为：%s）" % password)
    for username, role, who in logins:
        click.echo(f"  {username:<10} {role:<11} {who}")


@cso.command("seed-demo")
@click.option("--password", default=None, help="所有演示账号的密码（不给则随机生成）")
def seed_demo_cmd(password):
    """Load the demo district (idempotent) and print the logins."""
    from .demo import seed
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    try:
        password, logins = seed(password)
    except PasswordComplexityValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="--password") from None
    print_logins(password, logins)


@cso.command("unlock")
@click.argument("username")
def unlock_cmd(username):
    """Unlock a login locked after failed attempts."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        raise click.ClickException(f"账号不存在：{username}")
    sm.unlock(user)
    click.echo(f"已解锁：{username}")


@cso.command("create-login")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ALL_ROLES))
@click.option("--password", required=True, help="初始密码（持有人首次登录时须修改，除非给出 --keep-password）")
@click.option("--name", default=None, help="显示名")
@click.option("--email", default=None, help="电子邮箱（不给则用所关联服务官的邮箱；都没有则该账号收不到邮件提醒）")
@click.option("--officer", "officer_id", type=int, help="关联的服务官 id（Officer 角色）")
@click.option("--department", "department_id", type=int, help="关联的责任单位 id（Department 角色）")
@click.option("--enterprise", "enterprise_id", type=int, help="关联的企业 id（Enterprise 角色）")
@click.option("--keep-password", is_flag=True, help="密码由持有人本人设定，首次登录无需修改")
def create_login_cmd(username, role, password, name, email, officer_id, department_id, enterprise_id, keep_password):
    """Create a login and link it to the officer, department or enterprise it acts for."""
    from .accounts import AccountError, create_login, mail_address

    try:
        user = create_login(username, role, password, name=name, officer_id=officer_id, department_id=department_id,
                            enterprise_id=enterprise_id, email=email, must_change_password=not keep_password)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建账号：{username}（{role}）" + ("" if keep_password else "，首次登录须修改密码")
               + ("" if mail_address(user) else "；未设置电子邮箱，收不到邮件提醒") + "。")


def register(app):
    from .roster import views as import_views
    from .exports import views as export_views

    export_views.register_cli(cso)
    from . import backup

    backup.register_cli(cso)  # `flask cso backup OUT` / `flask cso restore IN`
    import_views.register_cli(cso)
    from . import jobs

    jobs.register_cli(cso)  # `flask cso jobs-cleanup` (app/jobs)
    app.cli.add_command(cso)


@cso.command("sweep")
@click.option("--now", "now_iso", default=None, help="按此时刻运行，如 2026-11-27T09:00（亚洲/上海时间）")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出结果")
@click.option("--no-send", is_flag=True, help="只生成提醒，不发送")
def sweep_cmd(now_iso, as_json, no_send):
    """Run the reminder sweep in-process (what beat runs every quarter hour), then send what is due."""
    import json
    from datetime import datetime

    from . import mail, reminders

    try:
        now = datetime.fromisoformat(now_iso) if now_iso else None
    except ValueError:
        raise click.BadParameter("时间格式应为 YYYY-MM-DDTHH:MM", param_hint="--now") from None
    summary = reminders.sweep(now)
    if not no_send:
        summary["sent"], summary["failed"] = mail.deliver_due(now)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo("提醒巡检完成：新生成报告草稿{drafted_reports}份，新增履职记录{duty_records}条，"
                   "新提醒{reminders}条，邮件{messages}封".format(**summary)
                   + ("，已发送{sent}封，失败{failed}封".format(**summary) if "sent" in summary else "") + "。")


@cso.command("bulletin")
@click.argument("kind", metavar="weekly|monthly|quarterly")
@click.option("--period", default=None, help="期间内任一天，如 2026-11-20（默认：本周 / 上月 / 上季度）")
def bulletin_cmd(kind, period):
    """Generate a bulletin draft by hand (beat does it on Fridays, on the 1st and each quarter's first day)."""
    from datetime import date

    from . import bulletins

    try:
        bulletins.check_kind(kind)
    except bulletins.BulletinError as exc:
        raise click.BadParameter(exc.message, param_hint="KIND") from None
    try:
        day = date.fromisoformat(period) if period else None
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--period") from None
    bulletin = bulletins.generate(kind, day)
    click.echo(f"已生成通报草稿 #{bulletin.id}：{bulletin.title}")
