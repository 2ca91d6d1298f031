"""What the demo care network (`shouwang.care.demo`) is made of: the seed county's
numbers of carers, how carers are profiled and how reliably they keep to the
schedule, review outcomes, and the words of contact notes and concerns."""

from shouwang.care.choices import CarerKind, ContactKind, VolunteerStatus
from shouwang.people.eligibility import Program

K, S = ContactKind, VolunteerStatus
CHILD, DIFFICULTY = Program.LEFT_BEHIND_CHILD.value, Program.CHILD_IN_DIFFICULTY.value
WOMAN, ELDERLY = Program.LEFT_BEHIND_WOMAN.value, Program.LEFT_BEHIND_ELDERLY.value

# The seed county's carers for its 781 children and 2,079 elderly.
SEED_CHILDREN, SEED_ELDERLY = 781, 2079
CHILD_CARERS = {CarerKind.PROXY_PARENT: 382, CarerKind.CARING_MOTHER: 287, CarerKind.TEACHER: 551}
ELDERLY_CARERS = 1038
# How the volunteers for the elderly divide (an assumption: the county gives one total).
ELDERLY_MIX = {
    CarerKind.FIVE_ELDERS: 25,
    CarerKind.VOLUNTEER: 35,
    CarerKind.VILLAGE_CADRE: 25,
    CarerKind.CADRE: 15,
}
CHILD_KINDS = (CarerKind.PROXY_PARENT, CarerKind.CARING_MOTHER)
ELDERLY_KINDS = tuple(ELDERLY_MIX)
# Kind: (capacity range, age range, share of women). Teachers and cadres work from
# the township; the others live in a village.
PROFILE = {
    CarerKind.PROXY_PARENT: ((1, 3), (30, 60), 0.6),
    CarerKind.CARING_MOTHER: ((1, 3), (28, 55), 1.0),
    CarerKind.TEACHER: ((3, 8), (24, 55), 0.7),
    CarerKind.FIVE_ELDERS: ((1, 3), (60, 76), 0.2),
    CarerKind.VOLUNTEER: ((1, 3), (20, 58), 0.6),
    CarerKind.VILLAGE_CADRE: ((3, 6), (30, 58), 0.4),
    CarerKind.CADRE: ((2, 4), (25, 55), 0.4),
}
AT_TOWNSHIP = {CarerKind.TEACHER, CarerKind.CADRE}
# Shares left without a pairing: ordinary children, key children, elderly, high-risk elderly.
UNPAIRED = {"child": 0.08, "key_child": 0.01, "elderly": 0.16, "elderly_high": 0.04}
WOMEN_PAIRED = 0.3
# How reliably a carer keeps to the schedule: (share of carers, factor).
DILIGENCE = [(75, 1.0), (17, 0.85), (8, 0.55)]
REJECTIONS = [
    ("未提供无犯罪记录证明材料", []),
    ("长期在外务工，无法履行结对职责", []),
    ("本人撤回申请", []),
    ("经查询存在酗酒恶习，不宜担任代理家长", ["vices"]),
]
WITHDRAWALS = ["外出务工", "工作调动", "身体原因，无法继续结对", "搬迁至县城居住"]

NOTES = {
    K.HOME_VISIT: ["入户查看生活情况，居住环境整洁", "与监护人交流孩子近况", "家中用电安全已检查",
                   "了解饮食起居，身体状况良好", "转达政策，讲解医保报销流程"],
    K.TALK: ["谈心，孩子情绪稳定", "聊学校生活和交朋友的情况", "孩子说想念在外的爸爸妈妈"],
    K.HOMEWORK_CHECK: ["检查数学作业，订正两道错题", "作业完成较好", "语文作业字迹需要加强"],
    K.TUTORING: ["辅导英语单词", "辅导数学应用题", "陪读课外书一小时"],
    K.FAMILY_MEAL: ["一起包饺子", "周末一起吃饭，孩子胃口好", "一起做饭，教孩子炒鸡蛋"],
    K.PHONE: ["电话问候，身体无大碍", "提醒天冷添衣", "询问近期用药情况"],
    K.TEACHER_TALK: ["班主任反映上课认真", "班主任反映近期成绩有进步", "与班主任沟通作业完成情况"],
    K.FAMILY_CALL: ["与妈妈视频通话二十分钟", "爸爸询问考试成绩", "父母答应春节回家"],
    K.HEALTH_CHECK: ["测量血压，略偏高，提醒按时服药", "卫生院医生随访，血糖正常"],
}  # fmt: skip
CONCERNS = {
    "child": ["孩子近期情绪低落，成绩明显下滑", "监护人生病住院，孩子暂无人照看",
              "孩子与同学发生冲突，手臂有淤青", "孩子多次不交作业，沉迷手机游戏"],
    "elderly": ["老人独自在家摔倒，右腿擦伤", "老人近一周食欲差，血压偏高",
                "老人反映房屋漏雨，需要修缮", "老人记忆力明显减退，曾走失半天"],
}  # fmt: skip
DURATIONS = {
    K.HOME_VISIT: (20, 90), K.PHONE: (5, 20), K.VIDEO: (5, 25), K.TALK: (15, 60),
    K.HOMEWORK_CHECK: (20, 60), K.TUTORING: (30, 90), K.FAMILY_MEAL: (40, 90),
    K.TEACHER_TALK: (10, 30), K.HEALTH_CHECK: (15, 40), K.FAMILY_CALL: (10, 40),
}  # fmt: skip
WEEKLY_KINDS = (K.TALK, K.HOMEWORK_CHECK, K.TUTORING, K.FAMILY_MEAL)
EXTRA_KINDS = (K.PHONE, K.TALK, K.VIDEO, K.TUTORING)
MOTHER_KINDS = (K.TALK, K.PHONE, K.FAMILY_MEAL, K.TUTORING, K.HOME_VISIT)
WOMAN_KINDS = (K.PHONE, K.HOME_VISIT, K.TALK)
