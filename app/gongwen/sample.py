"""A realistic 交办通知单 and 会商纪要, for tests and for looking at the pages.

    .venv/bin/python -m app.gongwen.sample /tmp/gw     # writes sample-letter.docx, sample-minutes.docx

The wording follows the district's 2020 measures (问题交办制度, 重大问题会商办公制度); the names
and numbers are made up.
"""
import sys
from datetime import date
from pathlib import Path

from . import (DEFAULT_ISSUER, FormTable, Letter, Minutes, Section, due_text, letter_docx,
               minutes_docx)

ISSUER = DEFAULT_ISSUER


def sample_letter(due: date = date(2026, 12, 10), number: str = "示范区企服交〔2026〕12号",
                  issued: date = date(2026, 12, 1)) -> Letter:
    return Letter(
        issuer=ISSUER,
        number=number,
        title="关于协调解决焦作市某某新材料有限公司项目用地手续问题的交办通知",
        recipients="区自然资源局",
        urgency="加急",
        sections=[
            Section("一、企业基本情况", [
                "焦作市某某新材料有限公司位于示范区文苑路以东，主要从事高性能锂电池隔膜研发生产，"
                "项目总投资3.2亿元，2025年实现产值1.6亿元，吸纳就业260人。",
            ]),
            Section("二、反映问题", [
                "企业二期扩建项目拟用地约45亩，已完成规划选址，因土地征收补偿尚未完成，供地手续"
                "迟迟未能办理，影响项目按期开工。首席服务官李明多次协调未果，于2026年11月20日申请交办。",
            ]),
            Section("三、交办要求", [
                "（一）请你单位高度重视，主要负责同志亲自研究，明确专人负责，主动对接企业。",
                "（二）请于" + due_text(due) + "将办理情况书面反馈区首席服务官办公室，"
                "并同步告知企业首席服务官；确需延期的，应说明原因并提出办理时限。",
                "（三）对无正当理由未按要求、时限完成交办任务的，区首席服务官办公室将予以通报批评。",
            ]),
        ],
        attachments=["交办事项办理情况反馈表"],
        signer=ISSUER,
        date=issued,
        note="（联系人：张三，电话：0391-3563650）",
        cc="区首席服务官工作领导小组办公室主任，区发改委，区工信局",
        annexes=[FormTable(
            title="交办事项办理情况反馈表",
            label="附件",
            rows=[("交办编号", number), ("承办单位", "区自然资源局"),
                  ("交办事项", "协调解决焦作市某某新材料有限公司项目用地手续问题"),
                  ("办理时限", due_text(due)), ("办理情况", ""), ("企业意见", ""),
                  ("承办单位负责人（签字）", ""), ("联系人及电话", "")],
        )],
    )


def sample_minutes(number: str = "示范区企服纪〔2026〕3号",
                   printed: date = date(2026, 12, 3)) -> Minutes:
    return Minutes(
        issuer=ISSUER,
        title="重大问题会商办公会议纪要",
        number=number,
        overview=[
            "2026年12月2日下午，区首席服务官办公室主任王某某在区政务服务中心三楼会议室主持召开"
            "重大问题会商办公会议，专题研究焦作市某某新材料有限公司项目用地、某某机械制造有限公司"
            "融资需求等企业反映的问题。区发改委、区工信局、区自然资源局、区工商联等单位负责同志参加"
            "会议。现将会议议定事项纪要如下：",
        ],
        decisions=[
            "关于焦作市某某新材料有限公司二期项目用地问题。会议议定，由区自然资源局牵头，加快土地征收"
            "补偿进度，同步开展供地前期工作。（牵头单位：区自然资源局；配合单位：区财政局、文苑街道；"
            "完成时限：2026年12月21日前）",
            "关于某某机械制造有限公司流动资金贷款问题。会议议定，由区工信局牵头组织银企对接，"
            "推荐纳入“白名单”企业。（牵头单位：区工信局；配合单位：区金融服务中心；"
            "完成时限：2026年12月31日前）",
        ],
        present=["王某某", "区发改委 刘某", "区工信局 陈某", "区自然资源局 赵某", "区工商联 孙某"],
        attending=["区首席服务官办公室 张三", "首席服务官 李明"],
        absent=["区财政局 周某（公务）"],
        distribution="区首席服务官工作领导小组成员单位，各首席服务官",
        printed_by="焦作市城乡一体化示范区企业首席服务官办公室",
        printed_on=printed,
    )


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample-letter.docx").write_bytes(letter_docx(sample_letter()))
    (out / "sample-minutes.docx").write_bytes(minutes_docx(sample_minutes()))
    print(out / "sample-letter.docx", out / "sample-minutes.docx")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
