"""Run the whole portal locally on embedded defaults: web + Celery worker + beat.

    python run.py [--demo] [--port 5000] [--password PW]

Upgrades the database, syncs the roles, seeds the demo district when asked and the database
holds no enterprise yet, prints the logins, then serves on 127.0.0.1 until Ctrl-C.
"""
import argparse
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def prepare(demo, password):
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app, db
    from app.cli import print_logins
    from app.demo import seed
    from app.models import Enterprise
    from app.roles import sync_roles

    app = create_app()
    with app.app_context():
        upgrade()
        sync_roles()
        empty = not db.session.scalar(select(func.count()).select_from(Enterprise))
        if demo and (empty or password):
            print_logins(*seed(password))
        elif demo:
            print("数据库中已有数据，未重新加载演示数据（如需重置演示账号密码：python run.py --demo --password …）。")
    return app


def portal_address(port, environ=os.environ):
    """PORTAL_BASE_URL follows --port unless it is set (the links in mail lead to this portal)."""
    environ.setdefault("PORTAL_BASE_URL", f"http://127.0.0.1:{port}")
    return environ["PORTAL_BASE_URL"]


def main():
    parser = argparse.ArgumentParser(description="首席服务官工作平台（本地运行）")
    parser.add_argument("--demo", action="store_true", help="数据库为空时加载演示数据并打印账号")
    parser.add_argument("--password", help="演示账号的密码（不给则随机生成）")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--no-worker", action="store_true", help="不启动 Celery worker 和 beat")
    args = parser.parse_args()
    portal_address(args.port)  # before config is imported: mail links point at this portal

    app = prepare(args.demo, args.password)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the worker too, like Ctrl-C
    workers = []
    if not args.no_worker:
        import config

        beat_db = os.path.join(config.INSTANCE_DIR, "celerybeat-schedule")
        cmd = [sys.executable, "-m", "celery", "-A", "app.tasks", "worker", "--beat",
               "--loglevel", "INFO", "--concurrency", "1", "--schedule", beat_db]
        workers.append(subprocess.Popen(cmd, cwd=HERE))
        print("Celery worker + beat 已启动（broker: %s）" % config.CELERY_BROKER_URL)
    print(f"门户地址： http://127.0.0.1:{args.port}/  （Ctrl-C 停止）")
    try:
        app.run(host="127.0.0.1", port=args.port, debug=False, use_reloader=False)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
