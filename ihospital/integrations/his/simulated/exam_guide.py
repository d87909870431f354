"""The simulated HIS's patient guide for each lab test and exam (检查须知): preparation, where, when.

Kept beside the catalogue's rows (catalogue.EXAMS) and joined to them when the catalogue is read: a real
HIS returns them with the item (most keep them as the item's 注意事项, 执行地点 and 执行时间).
"""

from __future__ import annotations

BLOOD_DRAW = ("门诊楼1楼 采血中心", "周一至周日 07:30-11:30")
BLOOD_DRAW_AFTERNOON = ("门诊楼1楼 采血中心", "周一至周五 07:30-11:30, 13:30-16:30")
SAMPLES = ("门诊楼1楼 检验科标本接收处", "周一至周日 07:30-16:30")
RADIOLOGY = ("医技楼1楼 放射科", "按预约时间")
ULTRASOUND = ("医技楼2楼 超声科", "按预约时间")
ECG_ROOM = ("门诊楼3楼 心电图室", "按预约时间")

FASTING = "检查前一晚22点后禁食，空腹8-12小时，可少量饮水；请勿剧烈运动。"
FASTING_SHORT = "空腹8小时以上采血，采血前勿剧烈运动。"
FIRST_URINE = "留取清晨第一次中段尿约10毫升，1小时内送检；女性避开月经期。"
NO_METAL = "请去除检查部位的金属物品（项链、发卡、钥匙等）；孕妇或可能怀孕者请告知医生。"
MRI_SAFETY = "体内有心脏起搏器、金属植入物者不能检查，请提前告知医生；去除全部金属物品。"
FULL_BLADDER = "检查前1-2小时饮水500-800毫升，憋尿至膀胱充盈后检查。"

# code → (preparation, place, hours)
GUIDE: dict[str, tuple[str, str, str]] = {
    "JY0001": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0002": (FIRST_URINE, *SAMPLES),
    "JY0003": ("留取新鲜粪便约蚕豆大小（含黏液脓血部分），1小时内送检。", *SAMPLES),
    "JY0004": (FASTING, *BLOOD_DRAW),
    "JY0005": (FASTING_SHORT, *BLOOD_DRAW),
    "JY0006": ("检查前3天清淡饮食，不饮酒；" + FASTING, *BLOOD_DRAW),
    "JY0007": (FASTING, *BLOOD_DRAW),
    "JY0008": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0009": ("无需空腹；正在服用甲状腺药物者请于采血后服药。", *BLOOD_DRAW_AFTERNOON),
    "JY0010": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0011": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0012": ("无需空腹；正在服用抗凝药者请告知采血人员。", *BLOOD_DRAW_AFTERNOON),
    "JY0013": (FIRST_URINE, *SAMPLES),
    "JY0014": ("无需空腹，采血前静坐休息15分钟。", *BLOOD_DRAW_AFTERNOON),
    "JY0015": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0016": (
        "空腹或进食2小时后检查；检查前1个月停用抗生素、铋剂，2周停用抑酸药。",
        "门诊楼2楼 呼气试验室",
        "周一至周五 08:00-11:30",
    ),
    "JY0017": ("采样前30分钟勿进食、饮水。", "发热门诊 采样室", "全天 24 小时"),
    "JY0018": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JY0019": (FASTING_SHORT + "前一天勿食高嘌呤食物、勿饮酒。", *BLOOD_DRAW),
    "JY0020": ("无需空腹。", *BLOOD_DRAW_AFTERNOON),
    "JC0001": (NO_METAL, *RADIOLOGY),
    "JC0002": (NO_METAL, *RADIOLOGY),
    "JC0003": (NO_METAL, *RADIOLOGY),
    "JC0004": (MRI_SAFETY, *RADIOLOGY),
    "JC0005": (MRI_SAFETY, *RADIOLOGY),
    "JC0006": ("检查前一晚清淡饮食，" + FASTING, *ULTRASOUND),
    "JC0007": ("无需空腹；请穿低领上衣。", *ULTRASOUND),
    "JC0008": ("无需空腹；请穿便于解开的上衣。", *ULTRASOUND),
    "JC0009": ("无需空腹；请穿低领上衣。", *ULTRASOUND),
    "JC0010": (FULL_BLADDER, *ULTRASOUND),
    "JC0011": ("检查前休息5分钟，勿剧烈运动；请穿便于解开的上衣。", *ECG_ROOM),
    "JC0012": ("检查前洗澡（佩戴24小时期间不能洗澡）；请穿宽松开襟上衣。", *ECG_ROOM),
    "JC0013": ("请穿宽松上衣，佩戴期间保持日常活动并记录作息。", *ECG_ROOM),
    "JC0014": ("检查前2小时勿吸烟，勿饱餐；正在使用支气管扩张剂者请告知医生。", "门诊楼4楼 肺功能室", "按预约时间"),
    "JC0015": (
        "检查前一晚20点后禁食、禁水6小时；服用抗凝药者请提前告知医生；需家属陪同。",
        "医技楼3楼 内镜中心",
        "按预约时间",
    ),
}


def guide_of(code: str) -> dict[str, str]:
    preparation, place, hours = GUIDE.get(code, ("", "", ""))
    return {"preparation": preparation, "place": place, "hours": hours}
