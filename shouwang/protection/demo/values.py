"""What the demo protection data (`shouwang.protection.demo`) is made of: how the
rubric's soft answers are drawn, override reasons, festivals, stations and their
activities, services and aid — the words and amounts of a county's ledgers."""

from __future__ import annotations

import datetime as dt

from shouwang.protection.choices import ActivityKind as A
from shouwang.protection.choices import Fund
from shouwang.protection.choices import ServiceKind as SK
from shouwang.protection.choices import StationKind as K

# --- risk ------------------------------------------------------------------------

# Answers the file does not say, by subject: (value, weight). Children with a weak
# guardian are more often unsettled; the elderly living alone more often lonely.
MENTAL = {
    "child": [("good", 74), ("unstable", 21), ("marked", 4.5), ("self_harm", 0.3)],
    "child_weak": [("good", 55), ("unstable", 36), ("marked", 8), ("self_harm", 0.6)],
    "woman": [("good", 72), ("unstable", 23), ("marked", 4.5), ("self_harm", 0.2)],
    "elderly": [("good", 70), ("unstable", 25), ("marked", 4.5), ("self_harm", 0.2)],
    "elderly_alone": [("good", 52), ("unstable", 40), ("marked", 7.5), ("self_harm", 0.3)],
}
SAFETY = {
    "child": [("safe", 90), ("hazard", 7.5), ("bullying", 2.2), ("violence", 0.2)],
    "woman": [("safe", 93), ("hazard", 5.5), ("bullying", 1), ("violence", 0.4)],
    "elderly": [("safe", 84), ("hazard", 15), ("bullying", 0.8), ("violence", 0.2)],
}
# Shares of people with several troubles at once (worse mood, safety and money).
TROUBLE = {"severe": 0.08, "moderate": 0.1}
TROUBLED_SAFETY = [("hazard", 60), ("bullying", 35), ("violence", 2)]
TROUBLED_MENTAL = [("unstable", 40), ("marked", 58), ("self_harm", 1)]
SCHOOLING = [("normal", 85), ("struggling", 12), ("truant", 3)]
# Share of people with two assessments (an earlier one and the current one).
TWICE = 0.3
# Share of current assessments left past their reassessment date: in the demo
# village worker's village (so 待复评 has entries), elsewhere.
OVERDUE = {"350724101200": 0.4, "": 0.06}
OVERRIDE_SHARE = 0.012
OVERRIDES_UP = [
    "近期丧偶，独自生活后情绪低落，调高一级加强关注",
    "监护人长期患病住院，实际照料不足，调高一级",
    "家中房屋经鉴定为C级危房，汛期前调高一级",
    "村医反映近一个月多次漏服药物，调高一级",
]
OVERRIDES_DOWN = [
    "父亲已返乡就业，实际监护改善，调低一级",
    "已入住乡镇敬老院，有专人照料，调低一级",
    "已纳入低保并结对帮扶，生活困难缓解，调低一级",
]
NOTES_HIGH = [
    "已纳入重点关爱对象，每周走访",
    "已报乡镇督导员，落实专人联系",
    "建议增加走访频次，持续跟踪",
]

# --- festivals -------------------------------------------------------------------

# Lunar festivals by Gregorian year: 春节, 中秋, 重阳.
SPRING_FESTIVAL = {
    2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13), 2030: dt.date(2030, 2, 3),
}  # fmt: skip
MID_AUTUMN = {
    2023: dt.date(2023, 9, 29), 2024: dt.date(2024, 9, 17), 2025: dt.date(2025, 10, 6),
    2026: dt.date(2026, 9, 25), 2027: dt.date(2027, 9, 15), 2028: dt.date(2028, 10, 3),
    2029: dt.date(2029, 9, 22), 2030: dt.date(2030, 9, 12),
}  # fmt: skip
DOUBLE_NINTH = {
    2023: dt.date(2023, 10, 23), 2024: dt.date(2024, 10, 11), 2025: dt.date(2025, 10, 29),
    2026: dt.date(2026, 10, 18), 2027: dt.date(2027, 10, 8), 2028: dt.date(2028, 10, 26),
    2029: dt.date(2029, 10, 16), 2030: dt.date(2030, 10, 5),
}  # fmt: skip
FESTIVALS = {"spring": SPRING_FESTIVAL, "mid_autumn": MID_AUTUMN, "double_ninth": DOUBLE_NINTH}


def festival_day(key: str, year: int) -> dt.date | None:
    """The day of a festival ("spring", "mid_autumn", "double_ninth" or "MM-DD")."""
    if key in FESTIVALS:
        return FESTIVALS[key].get(year)
    month, day = (int(part) for part in key.split("-"))
    return dt.date(year, month, day)


# --- stations --------------------------------------------------------------------

STATION_NAMES = {
    K.CHILDREN_HOME: "留守儿童之家",
    K.CARING_HOME: "爱心家园",
    K.WOMEN_HOME: "妇女之家",
    K.ELDERLY_CENTRE: "老年活动中心",
    K.AFTER_SCHOOL: "四点半课堂",
    K.CHILDREN_SERVICE: "儿童之家",
}
# Who a station serves: "child", "woman" or "elderly".
STATION_FOR = {
    K.CHILDREN_HOME: "child",
    K.CARING_HOME: "child",
    K.AFTER_SCHOOL: "child",
    K.CHILDREN_SERVICE: "child",
    K.WOMEN_HOME: "woman",
    K.ELDERLY_CENTRE: "elderly",
}
# A second station beside the first, by weight.
SECOND_STATIONS = [
    (K.WOMEN_HOME, 30), (K.ELDERLY_CENTRE, 35), (K.AFTER_SCHOOL, 20), (K.CARING_HOME, 8),
    (K.CHILDREN_SERVICE, 7),
]  # fmt: skip
STATIONS_SHARE = 0.33  # of the villages
SECOND_SHARE = 0.4  # of those
PLACES = [
    "村部一楼",
    "村部二楼",
    "村综合服务中心",
    "村文化活动中心",
    "老村小旧校舍",
    "村党群服务中心",
]
# 八有: the share of stations that have each; funding and the ledger are the usual gaps.
HAVES = {
    "has_sign": 0.97, "has_venue": 0.95, "has_equipment": 0.86, "has_staff": 0.9,
    "has_files": 0.85, "has_plan": 0.8, "has_ledger": 0.74, "has_funding": 0.62,
}  # fmt: skip

# Activities by who the station serves: (day, kind, title, description, aid handed out).
ACTIVITIES = {
    "child": [
        ("spring", A.FESTIVAL, "春节慰问留守儿童", "走访慰问留守儿童，送上新春慰问品和祝福", True),
        (
            "06-01",
            A.FESTIVAL,
            "“六一”儿童节游园活动",
            "趣味游园、才艺展示，为孩子发放节日礼物",
            True,
        ),
        ("mid_autumn", A.FAMILY, "中秋“月圆情浓”亲情活动", "做月饼、与外出务工父母视频连线", True),
        ("07-15", A.STUDY, "暑期课业辅导", "志愿者辅导暑假作业、开展阅读分享", False),
        ("06-10", A.SAFETY, "防溺水安全教育", "讲解防溺水“六不”，发放安全知识手册", False),
        ("11-09", A.SAFETY, "消防安全知识讲座", "消防员讲解火灾逃生和家庭用电安全", False),
        ("03-05", A.CULTURE, "学雷锋手工制作", "学雷锋主题手工和绘画活动", False),
        ("10-20", A.FAMILY, "“亲情连线”视频通话", "组织孩子与外出务工父母视频通话", False),
        ("04-15", A.HEALTH, "儿童近视防控健康讲座", "校医讲解用眼卫生，开展视力筛查", False),
        ("12-15", A.SAFETY, "防性侵自我保护教育", "女童保护讲师讲授身体边界和求助方法", False),
    ],
    "woman": [
        ("03-08", A.FESTIVAL, "“三八”妇女节慰问", "慰问留守妇女，开展座谈交流", True),
        ("spring", A.FESTIVAL, "春节慰问留守妇女", "走访慰问留守妇女家庭", True),
        ("05-20", A.HEALTH, "两癌防治知识讲座", "县妇幼保健院医生讲解宫颈癌、乳腺癌防治", False),
        ("04-10", A.TRAINING, "茶叶种植与加工技能培训", "农技员讲解茶园管理和绿茶加工", False),
        ("09-12", A.TRAINING, "农产品电商直播培训", "学习短视频拍摄和网店运营", False),
        ("11-25", A.OTHER, "反家暴法律知识宣传", "宣讲反家庭暴力法和人身安全保护令", False),
        ("08-20", A.CULTURE, "广场舞展演", "妇女文艺队广场舞展演", False),
    ],
    "elderly": [
        ("double_ninth", A.FESTIVAL, "重阳节敬老慰问", "为老人送上慰问品，开展文艺演出", True),
        ("spring", A.FESTIVAL, "春节慰问留守老人", "走访慰问留守老人，送上年货", True),
        ("05-15", A.HEALTH, "老年人健康义诊", "乡镇卫生院医生测血压血糖、开展健康咨询", False),
        ("07-10", A.SAFETY, "防诈骗宣传", "民警讲解保健品、养老诈骗常见手法", False),
        ("12-10", A.CULTURE, "戏曲欣赏和书法活动", "组织老人欣赏闽剧、写春联", False),
        ("09-10", A.HEALTH, "防跌倒健康讲座", "讲解居家防跌倒和慢性病用药", False),
    ],
}
# Festival aid at an activity, by who the station serves: (giver, fund).
ACTIVITY_GIVERS = {
    "child": [("县妇联", Fund.WOMEN_FEDERATION), ("团县委", Fund.DONATION),
              ("县民政局", Fund.FISCAL), ("县慈善总会", Fund.CHARITY)],
    "woman": [("县妇联", Fund.WOMEN_FEDERATION), ("乡镇政府", Fund.FISCAL)],
    "elderly": [("县民政局", Fund.FISCAL), ("乡镇政府", Fund.FISCAL),
                ("县慈善总会", Fund.CHARITY), ("县老龄办", Fund.LOTTERY)],
}  # fmt: skip
GOODS = {
    "child": [("书包、文具一套", 80), ("图书、文具", 100), ("羽绒服一件", 150), ("牛奶、零食", 60)],
    "woman": [("大米、食用油", 120), ("床上用品一套", 200), ("年货礼包", 150)],
    "elderly": [("大米、食用油", 120), ("棉被一床", 180), ("牛奶、月饼", 90), ("年货礼包", 150)],
}
CASH = [(200, 45), (300, 35), (500, 20)]

# --- services --------------------------------------------------------------------

PROVIDERS = {
    SK.COUNSELLING: ["县未成年人心理健康辅导站", "{township}社工站", "县妇联心理咨询室"],
    SK.HEALTH_CHECK: ["{township}卫生院"],
    SK.FREE_CLINIC: ["{township}卫生院"],
    SK.CANCER_SCREENING: ["县妇幼保健院"],
    SK.SCHOOL_AID: ["县教育局", "县慈善总会", "团县委“希望工程”"],
    SK.DAY_CARE: ["{township}居家养老服务站"],
    SK.SKILLS_TRAINING: ["县人社局", "县妇联"],
    SK.ENTREPRENEURSHIP: ["县妇联"],
    SK.LEGAL_AID: ["县法律援助中心"],
}
SERVICE_FUNDS = {
    SK.COUNSELLING: [Fund.FISCAL, Fund.LOTTERY],
    SK.HEALTH_CHECK: [Fund.FISCAL],
    SK.FREE_CLINIC: [Fund.FISCAL, Fund.UNIT],
    SK.CANCER_SCREENING: [Fund.FISCAL, Fund.WOMEN_FEDERATION],
    SK.SCHOOL_AID: [Fund.FISCAL, Fund.CHARITY, Fund.DONATION],
    SK.DAY_CARE: [Fund.FISCAL, Fund.LOTTERY],
    SK.SKILLS_TRAINING: [Fund.FISCAL],
    SK.ENTREPRENEURSHIP: [Fund.WOMEN_FEDERATION],
    SK.LEGAL_AID: [Fund.FISCAL],
}
SERVICE_NOTES = {
    SK.COUNSELLING: ["一对一心理疏导，情绪较前平稳", "沙盘游戏辅导", "谈心疏导，约定下次时间"],
    SK.HEALTH_CHECK: ["65岁以上老年人免费健康体检", "年度健康体检，建立健康档案"],
    SK.FREE_CLINIC: ["测量血压、血糖，用药指导"],
    SK.CANCER_SCREENING: ["农村妇女“两癌”免费筛查"],
    SK.SCHOOL_AID: ["发放助学金1000元", "春蕾计划助学", "发放学习用品和助学金"],
    SK.DAY_CARE: ["日间照料：午餐、助浴", "日间照料：送餐上门", "日间照料：康复理疗"],
    SK.SKILLS_TRAINING: ["茶叶加工技能培训", "家政服务技能培训", "电商运营培训"],
    SK.ENTREPRENEURSHIP: ["巾帼创业贷款贴息申请指导"],
    SK.LEGAL_AID: ["法律咨询，协助申请人身安全保护令"],
}
