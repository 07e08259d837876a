"""The catalogue of service items (代办事项目录), kept by the office: name, the department in charge, the
statutory (or promised) time limit in working or calendar days, the materials list. No fee of any kind
is recorded (八(六)): an unknown field such as ``fee`` is refused."""
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Department
from ..vocab import PROXY_LIMIT_KINDS, labelled
from .models import ServiceItem
from .rules import ProxyError, check_fields, flag, may_keep_catalogue, row, text

FIELDS = ("name", "department", "item_code", "time_limit", "limit_kind", "materials", "active")


def items(active_only=True):
    query = select(ServiceItem).order_by(ServiceItem.department_id, ServiceItem.id)
    if active_only:
        query = query.where(ServiceItem.active.is_(True))
    return db.session.scalars(query).all()


def save_item(user, data, item_id=None):
    """Add (``item_id`` None) or change one item; the caller commits."""
    if not may_keep_catalogue(user):
        raise ProxyError(403, "只有首席服务官办公室可以维护代办事项目录。")
    if not isinstance(data, dict):
        raise ProxyError(400, "请求体应为JSON对象。")
    check_fields(data, FIELDS)
    item = db.session.get(ServiceItem, item_id) if item_id is not None else ServiceItem(active=True)
    if item is None:
        raise ProxyError(404, "代办事项不存在。")
    adding = item.id is None
    if adding or "name" in data:
        name = text(data.get("name"), "name", 200, required=True)
        clash = db.session.scalar(select(ServiceItem.id).where(func.lower(ServiceItem.name) == name.lower()))
        if clash is not None and clash != item.id:
            raise ProxyError(422, f"目录中已有“{name}”。", "name")
        item.name = name
    if adding or "department" in data:
        item.department_id = row(Department, data.get("department"), "department", "请选择主管部门。").id
    if adding or "time_limit" in data:
        raw = str(data.get("time_limit") if data.get("time_limit") is not None else "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 365:
            raise ProxyError(422, "办理时限应为1至365之间的整数（天）。", "time_limit")
        item.time_limit = int(raw)
    if adding or "limit_kind" in data:
        kind = data.get("limit_kind") or "working"
        if not isinstance(kind, str) or kind not in PROXY_LIMIT_KINDS:
            raise ProxyError(422, "时限单位应为：" + labelled(PROXY_LIMIT_KINDS), "limit_kind")
        item.limit_kind = kind
    if "item_code" in data:
        item.item_code = text(data.get("item_code"), "item_code", 60)
    if "materials" in data:
        materials = text(data.get("materials"), "materials", 5000, multiline=True)
        item.materials = "\n".join(line.strip() for line in (materials or "").splitlines() if line.strip()) or None
    if "active" in data:
        item.active = flag(data.get("active"), "active")
    item.updated_at = clock.utcnow()
    if adding:
        item.created_at = item.updated_at
        db.session.add(item)
    db.session.flush()
    return item


def serialize(item):
    return {"id": item.id, "name": item.name, "department": item.department_id, "department_name": item.department.name,
            "item_code": item.item_code, "time_limit": item.time_limit, "limit_kind": item.limit_kind,
            "limit_text": item.limit_text, "materials": item.material_list, "active": bool(item.active)}
