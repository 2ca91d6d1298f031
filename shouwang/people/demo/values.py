"""What the demo families (`shouwang.people.demo`) are made of: word lists and a
generator of values — names, birth dates, ID numbers, phones, destinations,
employers, schools — drawn from one seeded `random.Random`.

Synthetic but shaped like a county in northern Fujian: common Han surnames weighted
roughly by frequency (with the Fujian favourites 陈, 林, 黄 on top), a few surnames
pinyin reads specially (曾, 单, 解, 缪, 查) so that search by pinyin can be shown, and
the destinations migrant workers from 南平 actually go to — the Fujian coast,
Zhejiang, the Pearl River Delta, Shanghai and Suzhou. Employer names are made up.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from stdnum.cn import ric

from shouwang.people import choices as c
from shouwang.regions.models import Area

# (surname, weight). Weights are relative, not percentages.
SURNAMES: list[tuple[str, float]] = [
    ("陈", 10), ("林", 8), ("黄", 7), ("张", 7), ("吴", 6), ("王", 6), ("李", 6), ("刘", 5),
    ("郑", 4), ("杨", 4), ("叶", 3), ("徐", 3), ("周", 3), ("赵", 2), ("孙", 2), ("马", 1),
    ("朱", 2), ("胡", 2), ("郭", 2), ("何", 2), ("罗", 2), ("魏", 2), ("谢", 2), ("江", 2),
    ("余", 2), ("蔡", 2), ("曾", 2), ("游", 1), ("詹", 1), ("邱", 1), ("廖", 1), ("肖", 1),
    ("卢", 1), ("傅", 1), ("潘", 1), ("宋", 1), ("丁", 1), ("范", 1), ("彭", 1), ("许", 1),
    ("缪", 0.6), ("单", 0.4), ("解", 0.4), ("查", 0.3),
]  # fmt: skip
# The 畲族 of northern Fujian mostly carry these surnames.
SHE_SURNAMES = ["蓝", "雷", "钟"]

# Given names by generation (birth year) and sex.
GIVEN_NAMES: dict[str, dict[str, list[str]]] = {
    # Born before 1960.
    "old": {
        "M": ["建国", "国华", "德明", "金水", "水生", "根发", "福生", "长生", "炳坤", "宗华",
              "明德", "文华", "永昌", "木生", "春生", "荣华", "振华", "开明", "家旺", "土生",
              "新民", "光明", "金发", "道明", "仁和", "忠", "福", "贵", "昌", "发", "茂林",
              "火旺", "树德", "家兴", "有才", "金生", "水根", "德福", "世明", "国平", "仁贵",
              "长贵", "永福", "志成", "天生", "炳华", "秋生", "冬生", "荣生", "德胜", "国荣",
              "松林", "长春", "建民", "学文", "耀华", "祖德", "锦华", "启明", "良才", "传宗"],
        "F": ["秀英", "桂英", "玉兰", "秀兰", "金花", "桂兰", "凤英", "玉珍", "美英", "秀珍",
              "月英", "桂花", "爱珍", "素珍", "淑英", "兰英", "冬梅", "春梅", "银花", "玉梅",
              "丽华", "宝珠", "美玉", "翠英", "莲英", "菊英", "水莲", "招娣", "秀娥", "玉英",
              "金莲", "玉花", "秀琴", "桂珍", "月娥", "凤娇", "美兰", "玉凤", "雪英", "素英",
              "彩云", "秀凤", "爱华", "冬英", "春兰", "瑞英", "金娥", "碧玉", "细妹", "秀云",
              "玉清", "宝英", "荷花", "梅英", "月兰", "香莲"],
    },
    # Born 1960–1979.
    "mid": {
        "M": ["伟", "强", "军", "勇", "涛", "斌", "磊", "志强", "建华", "文斌", "海波", "永强",
              "晓东", "志明", "国强", "春林", "建军", "立新", "剑", "华", "明辉", "少华",
              "金龙", "伟平", "雄", "锋", "建平", "庆华", "新华", "木根", "红军", "卫东",
              "跃进", "志刚", "海林", "建新", "德华", "文明", "小平", "炳辉", "朝阳", "永红",
              "海平", "国庆", "建勇", "金华", "水平", "荣光"],
        "F": ["丽", "芳", "娟", "敏", "燕", "霞", "红", "丽娟", "海燕", "秀梅", "晓燕", "春燕",
              "美华", "玉琴", "丽萍", "小红", "雪梅", "艳", "丽琴", "慧", "秀芳", "晓梅",
              "静", "美珍", "丽芳", "金凤", "玉娟", "春花", "红梅", "美玲", "丽珍", "凤仙",
              "秀华", "桂芳", "月华", "爱琴", "小英", "玉芳", "金兰", "丽红", "翠萍", "美娟"],
    },
    # Born 1980–1999: the parents working away and the women left at home.
    "parent": {
        "M": ["志伟", "俊", "鑫", "斌", "磊", "超", "杰", "明", "海峰", "建伟", "文杰", "晓峰",
              "俊峰", "金平", "家豪", "鹏", "辉", "亮", "建斌", "志华", "伟峰", "小龙", "俊杰",
              "良", "勇军", "晨", "凯", "强"],
        "F": ["丽", "婷", "静", "莉", "娜", "雪", "琳", "丹", "晓丽", "丽丽", "美玲", "玉婷",
              "小燕", "秀丽", "欢", "燕", "倩", "艳芳", "晓琴", "丽君", "慧敏", "佳", "春燕",
              "雅琴", "婉婷", "梅"],
    },
    # Born 2000 or later: the children.
    "young": {
        "M": ["浩然", "子轩", "梓轩", "宇轩", "俊杰", "浩宇", "一鸣", "子豪", "皓轩", "博文",
              "宇航", "俊熙", "梓豪", "铭", "睿", "泽宇", "文博", "天佑", "思源", "嘉豪",
              "家乐", "晨阳", "明轩", "子墨", "锦程", "奕辰", "沐阳", "承泽", "宇", "轩"],
        "F": ["欣怡", "梓涵", "诗涵", "雨桐", "可馨", "子涵", "梦瑶", "思琪", "雨欣", "紫涵",
              "佳怡", "语桐", "一诺", "欣妍", "诗琪", "若曦", "梓萱", "心怡", "婉清", "晨曦",
              "佳琪", "思雨", "悦", "萱", "彤", "雨萱", "欣然", "梦琪"],
    },
}  # fmt: skip

# Work destinations: (province code, province name, city code, city name, weight,
# industries). Codes and names are the NBS 2023 ones (../shared/data/areas/).
DESTINATIONS: list[tuple[str, str, str, str, float, list[str]]] = [
    ("35", "福建省", "3501", "福州市", 12, ["建筑", "餐饮", "纺织", "电子"]),
    ("35", "福建省", "3502", "厦门市", 12, ["电子", "物流", "餐饮", "家政"]),
    ("35", "福建省", "3505", "泉州市", 10, ["鞋服", "纺织", "石材"]),
    ("35", "福建省", "3507", "南平市", 5, ["建筑", "竹木加工", "餐饮"]),
    ("33", "浙江省", "3303", "温州市", 9, ["鞋服", "电气", "眼镜"]),
    ("33", "浙江省", "3302", "宁波市", 6, ["模具", "家电"]),
    ("33", "浙江省", "3301", "杭州市", 6, ["快递", "服装", "餐饮"]),
    ("33", "浙江省", "3307", "金华市", 4, ["小商品", "物流"]),
    ("33", "浙江省", "3311", "丽水市", 3, ["竹木加工", "建筑"]),
    ("44", "广东省", "4403", "深圳市", 8, ["电子", "快递", "建筑"]),
    ("44", "广东省", "4419", "东莞市", 7, ["电子", "玩具", "家具"]),
    ("44", "广东省", "4401", "广州市", 5, ["服装", "物流", "餐饮"]),
    ("44", "广东省", "4406", "佛山市", 3, ["家具", "陶瓷", "家电"]),
    ("31", "上海市", "3101", "市辖区", 6, ["餐饮", "快递", "家政", "建筑"]),
    ("32", "江苏省", "3205", "苏州市", 4, ["电子", "机械"]),
]
# Made-up trade names; with the city and the industry they give e.g. 东莞市鸿达电子有限公司.
BRANDS = ["鸿达", "华信", "永盛", "金源", "恒通", "宏发", "瑞丰", "隆兴", "建达", "联创",
          "正兴", "天成", "新锐", "嘉利", "凯盛", "宝丰", "广源", "万成", "兴隆", "顺达",
          "泰和", "东升", "汇丰源", "合力"]  # fmt: skip
INDUSTRY_SUFFIXES: dict[str, list[str]] = {
    "建筑": ["建筑工程有限公司", "建设集团项目部"],
    "餐饮": ["餐饮管理有限公司", "酒楼"],
    "纺织": ["纺织有限公司", "织造厂"],
    "电子": ["电子有限公司", "电子厂", "科技有限公司"],
    "物流": ["物流有限公司", "供应链有限公司"],
    "家政": ["家政服务有限公司"],
    "鞋服": ["鞋业有限公司", "服饰有限公司"],
    "石材": ["石材有限公司"],
    "竹木加工": ["竹木制品有限公司", "木业有限公司"],
    "电气": ["电气有限公司"],
    "眼镜": ["眼镜有限公司"],
    "模具": ["模具有限公司", "精密机械有限公司"],
    "家电": ["电器有限公司"],
    "快递": ["快递服务部", "速运网点"],
    "服装": ["服装有限公司", "制衣厂"],
    "小商品": ["日用品有限公司", "饰品厂"],
    "玩具": ["玩具有限公司"],
    "家具": ["家具有限公司"],
    "陶瓷": ["陶瓷有限公司"],
    "机械": ["机械有限公司"],
}
# Work without an employer worth naming.
SELF_EMPLOYED = ["个体经营（小吃店）", "建筑工地（泥水工）", "建筑工地（木工）", "外卖配送",
                 "网约车司机", "个体经营（水果摊）", "装修散工"]  # fmt: skip
# Months away in the last 12 for someone who works away: mostly most of the year.
MONTHS_AWAY = [(12, 30), (11, 30), (10, 15), (9, 8), (8, 7), (7, 5), (6, 5)]

# Spring Festival (春节), when most workers come home for a week or two.
SPRING_FESTIVALS = {
    2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12),
    2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
    2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11),
}  # fmt: skip

DISABILITY_TYPES = ["肢体", "视力", "听力", "言语", "智力", "精神", "多重"]
ELDERLY_ILLNESSES = ["脑梗死后遗症", "恶性肿瘤", "尿毒症", "慢性阻塞性肺疾病", "冠心病心力衰竭"]
CHILD_ILLNESSES = ["白血病", "先天性心脏病", "肾病综合征", "癫痫"]
ADULT_ILLNESSES = ["尿毒症", "恶性肿瘤", "精神分裂症", "重度抑郁症"]
PERSONALITIES = ["开朗", "内向", "活泼", "文静", "懂事", "腼腆", "好动", "独立"]
HOBBIES = ["画画", "篮球", "阅读", "跳绳", "唱歌", "乒乓球", "手工", "跑步", "下棋", "足球"]
GRADES = {
    "primary": ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    "junior": ["初一", "初二", "初三"],
    "senior": ["高一", "高二", "高三"],
    "vocational": ["中职一年级", "中职二年级", "中职三年级"],
}
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "177", "180", "181",
                   "182", "183", "186", "187", "188", "189", "191", "199"]  # fmt: skip


class Values:
    """Random but reproducible values for people living in `county` on the day `on`.

    Holds: every ID number handed out is valid and unique (sequence numbers are
    tracked per birth date), every phone number is unique.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        on: dt.date,
        county: Area,
        townships: dict[str, str],
        cities: dict[str, tuple[Area, Area]],
    ):
        self.rng = rng
        self.on = on
        self.county = county
        self.region = county.code[:6]
        self.townships = townships
        self.cities = [cities[code] for _p, _n, code, *_rest in DESTINATIONS]
        self.city_weights = list(itertools.accumulate(d[4] for d in DESTINATIONS))
        self.industries = {d[2]: d[5] for d in DESTINATIONS}
        self.surnames = [surname for surname, _w in SURNAMES]
        self.surname_weights = list(itertools.accumulate(w for _s, w in SURNAMES))
        self._sequences: dict[dt.date, set[int]] = {}
        self._phones: set[str] = set()

    # --- Names ------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]

    def given(self, sex: str, birth: dt.date) -> str:
        year = birth.year
        if year < 1960:
            generation = "old"
        elif year < 1980:
            generation = "mid"
        elif year < 2000:
            generation = "parent"
        else:
            generation = "young"
        return self.rng.choice(GIVEN_NAMES[generation][sex])

    def ethnicity(self) -> str:
        """松溪 has a small 畲族 population."""
        return "畲族" if self.rng.random() < 0.01 else "汉族"

    def she_surname(self) -> str:
        return self.rng.choice(SHE_SURNAMES)

    # --- Dates ------------------------------------------------------------------------

    def days(self, low: int, high: int) -> dt.timedelta:
        return dt.timedelta(days=self.rng.randint(low, high))

    def birth(self, age: int) -> dt.date:
        """A birth date of someone `age` years old today."""
        latest = years_before(self.on, age)
        earliest = years_before(self.on, age + 1) + dt.timedelta(days=1)
        return earliest + self.days(0, (latest - earliest).days)

    def adult_birth(self, age: int) -> dt.date:
        """The latest birth date of someone at least `age` years old today."""
        return years_before(self.on, age)

    def elder_birth(self) -> dt.date:
        band = self.rng.choices([(60, 69), (70, 79), (80, 89), (90, 98)], [40, 35, 20, 5])[0]
        return self.birth(self.rng.randint(*band))

    def last_return(self, months: int) -> dt.date:
        """Home for the last Spring Festival (those away all year, often the one before)."""
        festival = spring_festival(self.on.year)
        if festival > self.on - dt.timedelta(days=20):
            festival = spring_festival(self.on.year - 1)
        if months == 12 and self.rng.random() < 0.5:
            festival = spring_festival(festival.year - 1)
        return festival - self.days(1, 12)

    # --- Numbers ----------------------------------------------------------------------

    def id_number(self, birth: dt.date, sex: str) -> str:
        """A valid 18-digit number: the county's code, the birth date, a sequence
        unused for that date (odd for men, even for women) and the check character."""
        used = self._sequences.setdefault(birth, set())
        while True:
            # 001-999: odd for men, even for women.
            sequence = 2 * self.rng.randint(0, 499) + (1 if sex == "M" else 2)
            if sequence <= 999 and sequence not in used:
                used.add(sequence)
                break
        body = f"{self.region}{birth:%Y%m%d}{sequence:03d}"
        # stdnum expects the check position to be present and ignores its value.
        return body + ric.calc_check_digit(body + "0")

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    # --- Work -------------------------------------------------------------------------

    def destination(self) -> tuple[Area, Area]:
        """(province, city) someone works in."""
        return self.rng.choices(self.cities, cum_weights=self.city_weights)[0]

    def employer(self, city: Area) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return rng.choice(SELF_EMPLOYED)
        industry = rng.choice(self.industries[city.code[:4]])
        place = "上海" if city.code.startswith("31") else city.name
        return place + rng.choice(BRANDS) + rng.choice(INDUSTRY_SUFFIXES[industry])

    def months_away(self) -> int:
        months, weights = zip(*MONTHS_AWAY, strict=True)
        return self.rng.choices(months, weights)[0]

    # --- School -----------------------------------------------------------------------

    def schooling(self, age: int, village: Area) -> dict:
        """The school fields of a child's file, by age and by the village's township."""
        rng = self.rng
        county = self.county.name
        township = self.townships.get(village.parent_id, "")
        urban = township.endswith("街道")
        stem = township.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        if age < 3 or (age < 6 and rng.random() < 0.12):
            return {"schooling": c.Schooling.NOT_IN_KINDERGARTEN}
        if age < 6:
            return {
                "schooling": c.Schooling.KINDERGARTEN,
                "school": f"{county}实验幼儿园" if urban else f"{county}{stem}中心幼儿园",
                "class_name": ["小班", "中班", "大班"][age - 3],
            }
        if age < 12:
            level, grade = c.Schooling.PRIMARY, age - 6
            school = f"{county}实验小学" if urban else f"{county}{stem}中心小学"
        elif age < 15 or (age == 15 and rng.random() < 0.4):
            level, grade = c.Schooling.JUNIOR, min(age - 12, 2)
            school = f"{county}第二中学" if urban else f"{county}{stem}中学"
        else:
            levels = [c.Schooling.SENIOR, c.Schooling.VOCATIONAL, c.Schooling.NOT_IN_SCHOOL]
            level = rng.choices(levels, [55, 30, 15])[0]
            if level == c.Schooling.NOT_IN_SCHOOL:
                return {"schooling": level}
            grade = min(age - 15, 2)
            school = f"{county}第一中学" if level == c.Schooling.SENIOR else f"{county}职业中专学校"
        boarding = {c.Schooling.PRIMARY: 0.03, c.Schooling.JUNIOR: 0.35}.get(level, 0.8)
        teacher_sex = "F" if rng.random() < 0.7 else "M"
        teacher_birth = self.birth(rng.randint(25, 55))
        return {
            "schooling": level,
            "school": school,
            "grade": GRADES[level][grade],
            "class_name": f"{rng.randint(1, 6)}班",
            "head_teacher": self.surname() + self.given(teacher_sex, teacher_birth),
            "head_teacher_phone": self.phone(),
            "boarding": rng.random() < boarding,
        }


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` years earlier (later when negative); 29 February
    becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def spring_festival(year: int) -> dt.date:
    month, day = SPRING_FESTIVALS.get(year, (2, 1))
    return dt.date(year, month, day)
