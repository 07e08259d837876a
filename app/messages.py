"""Chinese defaults for marshmallow's validation messages (REST API answers in Chinese)."""
import marshmallow
from marshmallow import fields

_MESSAGES = {
    fields.Field: {"required": "该字段为必填项。", "null": "该字段不能为空。", "validator_failed": "取值无效。"},
    fields.String: {"invalid": "应为文本。", "invalid_utf8": "不是有效的UTF-8文本。"},
    fields.Integer: {"invalid": "应为整数。"},
    fields.Number: {"invalid": "应为数字。", "too_large": "数值过大。"},
    fields.Boolean: {"invalid": "应为布尔值（true/false）。"},
    fields.Date: {"invalid": "日期格式应为YYYY-MM-DD。", "format": "“{input}”无法格式化为日期。"},
    fields.DateTime: {"invalid": "日期时间格式不正确。"},
    fields.Email: {"invalid": "电子邮箱格式不正确。"},
    fields.List: {"invalid": "应为列表。"},
    fields.Nested: {"type": "类型不正确。"},
}
_SCHEMA = {"type": "请求内容格式不正确。", "unknown": "不认识的字段。"}


def install():
    """Idempotent: overwrite marshmallow's English defaults in place."""
    for cls, msgs in _MESSAGES.items():
        cls.default_error_messages = {**cls.__dict__.get("default_error_messages", {}), **msgs}
    marshmallow.Schema._default_error_messages = {**marshmallow.Schema._default_error_messages, **_SCHEMA}
