"""The shipped rules, editable afterwards (new dated parameter values through the rule's page):

- ``post_subsidy``: the provincial reward-based post-subsidy (奖励性后补助), exactly as the data
  specification's section 5 fixes it;
- ``pilot_base_support``: support for pilot bases by their yearly evaluation grade (优秀 500,000,
  良好 300,000 yuan);
- ``art45_team_share``: the research team's minimum share under Law Art. 45, a check (no payment)
  read by the annual reports;
- ``use_before_transfer``: N, the years after the IP grant after which an untransformed fiscally
  funded achievement is listed (default 3);

and the monthly schedule of the use-before-transfer list in django_celery_beat's database.
"""

import datetime

from django.db import migrations

RULES = [
    {
        "code": "post_subsidy",
        "name": "科技成果转化奖励性后补助",
        "policy": "辽科发〔2021〕18号",
        "article": "《辽宁省科技创新条例》成果转化与产业化章；受让省内企业按实际到账额给予奖励性后补助，最高200万元",
        "kind": "payment",
        "subject": "contract",
        "beneficiary_kind": "transferee",
        "valid_from": datetime.date(2021, 1, 1),
        "description": "省内企业承接高校、科研院所科技成果（转让、许可、作价投资），单项合同100万元以上、三年内签订，"
        "按实际到账额的5%给予奖励性后补助，每企业每年最高200万元，每份合同只补助一次。",
        "parameters": {
            "contract_modes": ["equity", "license", "transfer"],
            "unit_types": ["institute", "university"],
            "transferee_local": True,
            "min_amount": "1000000.00",
            "signed_within_years": 2,
            "once_per_subject": True,
            "formula": {"kind": "percent", "base": "received", "rate": "0.05"},
            "cap_per_beneficiary_year": "2000000.00",
            "budget_per_year": "100000000.00",
        },
    },
    {
        "code": "pilot_base_support",
        "name": "中试基地绩效考评资金支持",
        "policy": "辽科发〔2023〕53号",
        "article": "《辽宁省科技成果转化中试基地项目管理办法（试行）》（2022）；按年度绩效考评等级给予资金支持",
        "kind": "payment",
        "subject": "pilot_base",
        "beneficiary_kind": "pilot_base",
        "valid_from": datetime.date(2023, 1, 1),
        "description": "年度绩效考评为优秀的中试基地支持50万元，良好的支持30万元。",
        "parameters": {
            "pilot_grades": ["excellent", "good"],
            "formula": {"kind": "fixed_by_grade", "amounts": {"excellent": "500000.00", "good": "300000.00"}},
        },
    },
    {
        "code": "art45_team_share",
        "name": "成果完成团队收益比例核查",
        "policy": "《中华人民共和国促进科技成果转化法》（2015）",
        "article": "第四十五条：单位未规定的，转让、许可净收入不低于50%，作价投资股份不低于50%，"
        "自行或合作实施营业利润不低于5%（连续3至5年）；单位可规定更高比例",
        "kind": "check",
        "subject": "contract",
        "beneficiary_kind": "team",
        "valid_from": datetime.date(2015, 10, 1),
        "description": "核查规则，不产生支付：年度报告中团队所得比例低于下列最低比例时予以提示。",
        "parameters": {
            "team_share_transfer_license": "0.5",
            "team_share_equity": "0.5",
            "team_share_self_profit": "0.05",
        },
    },
    {
        "code": "use_before_transfer",
        "name": "先使用后付费清单",
        "policy": "《辽宁省科技创新条例》（2021年10月1日施行）",
        "article": "财政资金支持形成的应用类科技成果，取得知识产权后一定期限内未转化且无正当理由的，列入“先使用后付费”清单，"
        "通过辽宁技术交易市场公开挂牌",
        "kind": "check",
        "subject": "contract",
        "beneficiary_kind": "unit",
        "valid_from": datetime.date(2021, 10, 1),
        "description": "核查规则，不产生支付：每月生成清单；N 为知识产权授权后未转化的年数。",
        "parameters": {"years_after_grant": 3},
    },
]

TASK_NAME = "incentives.use_before_transfer_list"
TASK = "incentives.tasks.listing_refresh_task"


def load(apps, schema_editor):
    Rule = apps.get_model("incentives", "Rule")
    RuleParameter = apps.get_model("incentives", "RuleParameter")
    for spec in RULES:
        spec = dict(spec)
        parameters = spec.pop("parameters")
        rule, created = Rule.objects.get_or_create(code=spec["code"], defaults={**spec, "status": "active"})
        if not created:
            continue
        for key, value in parameters.items():
            RuleParameter.objects.create(rule=rule, key=key, value=value, valid_from=rule.valid_from,
                                         note="随系统发布")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    monthly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_month="1", month_of_year="*", day_of_week="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": monthly,
            "expire_seconds": 6 * 3600,
            "enabled": True,
            "description": "先使用后付费清单：每月1日凌晨生成（财政资助、授权满N年、未转化且无已接受理由的成果）。",
        },
    )


def unload(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()
    Rule = apps.get_model("incentives", "Rule")
    Rule.objects.filter(code__in=[r["code"] for r in RULES], awards__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(load, unload)]
