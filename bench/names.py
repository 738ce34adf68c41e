"""Synthetic but realistic values for the search benchmark: Chinese names, rooms, phones and remarks.

Surnames are drawn by their approximate share of the population (王 李 张 刘 陈 … cover about half of
all people), given names are one or two characters from the characters most used in names, rooms are
楼栋-单元-房号 in the usual ranges (1–30 栋, 1–4 单元, floors 1–33, 01–04 per floor). Everything takes a
`random.Random`, so a seed gives the same values every run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate

# (surname, share of the population in ‰), after the 2020 census ranking; the long tail is merged into
# the last entries, so the weights sum to about 1000
SURNAME_SHARES: list[tuple[str, float]] = [
    ("王", 72.5), ("李", 71.9), ("张", 68.3), ("刘", 53.8), ("陈", 45.3), ("杨", 30.8), ("黄", 22.3), ("赵", 21.9),
    ("吴", 20.0), ("周", 19.0), ("徐", 16.0), ("孙", 15.0), ("马", 14.0), ("朱", 13.0), ("胡", 13.0), ("郭", 11.5),
    ("何", 11.0), ("林", 10.0), ("高", 10.0), ("罗", 9.0), ("郑", 8.0), ("梁", 8.0), ("谢", 7.0), ("宋", 6.0),
    ("唐", 6.0), ("许", 6.0), ("韩", 5.0), ("冯", 5.0), ("邓", 5.0), ("曹", 5.0), ("彭", 5.0), ("曾", 5.0),
    ("肖", 5.0), ("田", 4.0), ("董", 4.0), ("袁", 4.0), ("潘", 4.0), ("于", 4.0), ("蒋", 4.0), ("蔡", 4.0),
    ("余", 4.0), ("杜", 4.0), ("叶", 4.0), ("程", 4.0), ("苏", 3.0), ("魏", 3.0), ("吕", 3.0), ("丁", 3.0),
    ("任", 3.0), ("沈", 3.0), ("姚", 3.0), ("卢", 3.0), ("姜", 3.0), ("崔", 3.0), ("钟", 3.0), ("谭", 3.0),
    ("陆", 3.0), ("汪", 3.0), ("范", 3.0), ("金", 3.0), ("石", 3.0), ("廖", 3.0), ("贾", 3.0), ("夏", 3.0),
    ("韦", 2.0), ("付", 2.0), ("方", 2.0), ("白", 2.0), ("邹", 2.0), ("孟", 2.0), ("熊", 2.0), ("秦", 2.0),
    ("邱", 2.0), ("江", 2.0), ("尹", 2.0), ("薛", 2.0), ("闫", 2.0), ("段", 2.0), ("雷", 2.0), ("侯", 2.0),
    ("龙", 2.0), ("史", 2.0), ("陶", 2.0), ("黎", 2.0), ("贺", 2.0), ("顾", 2.0), ("毛", 2.0), ("郝", 2.0),
    ("龚", 2.0), ("邵", 2.0), ("万", 2.0), ("钱", 2.0), ("严", 2.0), ("覃", 1.0), ("武", 1.0), ("戴", 1.0),
    ("莫", 1.0), ("孔", 1.0), ("向", 1.0), ("汤", 1.0), ("常", 1.0), ("温", 1.0), ("康", 1.0), ("施", 1.0),
    ("文", 1.0), ("牛", 1.0), ("樊", 1.0), ("葛", 1.0), ("邢", 1.0), ("安", 1.0), ("齐", 1.0), ("易", 1.0),
    ("乔", 1.0), ("伍", 1.0), ("庞", 1.0), ("颜", 1.0), ("倪", 1.0), ("庄", 1.0), ("聂", 1.0), ("章", 1.0),
    ("鲁", 1.0), ("岳", 1.0), ("翟", 1.0), ("殷", 1.0), ("詹", 1.0), ("申", 1.0), ("欧阳", 0.5), ("司马", 0.2),
    ("上官", 0.2), ("诸葛", 0.1),
]  # fmt: skip
# characters most used in given names (both sexes), in rough order of frequency
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国文斌玉兰志红海波晓东辉鹏飞宇浩俊峰林玲婷雪梅琳"
    "丹萍鑫慧颖佳欣怡子涵梓轩睿博文浩然思雨欣妍雅婷佳琪梦瑶子豪宇航晨阳嘉怡诗涵雨萱一鸣天佑家豪志强"
    "春燕秋菊冬梅淑珍凤兰德明永福金龙新民建军卫东立新学军春生振华国庆小红小明亚楠婉清泽宇奕辰俊杰"
)
GIVEN = sorted(set(GIVEN_CHARS))
SURNAMES = [s for s, _ in SURNAME_SHARES]
SURNAME_CUM = list(accumulate(w for _, w in SURNAME_SHARES))

PROJECTS = ["HL", "JH", "LQ", "XY", "BJ", "YH"]
PROJECT_WEIGHTS = [30, 25, 15, 12, 10, 8]
PROJECT_CUM = list(accumulate(PROJECT_WEIGHTS))

# remark fragments: (what, detail); the free-text queries draw words of three or more characters from them
REMARK_WHAT = [
    "卫生间漏水", "厨房下水道堵塞", "外墙渗水", "空调外机移位", "更换防盗门锁", "阳台封闭", "钥匙交物业代管",
    "快递包裹代收", "物业服务费欠缴", "车位管理费欠缴", "水管爆裂", "电梯困人", "地下车库积水", "噪音扰民投诉",
    "装修垃圾清运", "燃气管道检查", "入户门维修", "天花板裂缝", "窗户密封条老化", "热水器安装", "地暖试压",
    "宠物扰民", "楼道堆放杂物", "消防通道占用", "可视对讲故障", "门禁卡补办", "信报箱钥匙遗失", "屋面防水维修",
]  # fmt: skip
REMARK_DETAIL = [
    "业主已签字确认", "请于三日内处理", "已电话通知业主", "维修师傅已上门", "待业主回复", "已拍照存档",
    "业主不在家，已留言", "需施工单位配合", "费用由业主承担", "保修期内免费", "已转工程部跟进", "下周复查",
]  # fmt: skip
FREE_TEXT_WORDS = [
    "卫生间", "下水道", "空调外机", "防盗门", "物业服务费", "车位管理费", "装修垃圾", "天花板",
    "热水器", "消防通道", "可视对讲", "门禁卡", "信报箱", "屋面防水", "地下车库", "维修师傅",
]  # fmt: skip
FEE_ITEMS = ["物业服务费", "公共能耗分摊费", "车位管理费", "生活垃圾处理费", "二次供水加压费"]
PHONE_PREFIXES = ["130", "131", "135", "136", "137", "138", "139", "150", "151", "158", "159", "177", "186", "188"]


def _pick(rnd: random.Random, items: Sequence[str], cum: Sequence[float]) -> str:
    return rnd.choices(items, cum_weights=cum, k=1)[0]


def person_name(rnd: random.Random) -> str:
    """A Chinese full name: a weighted surname and one (about a third) or two given-name characters."""
    surname = _pick(rnd, SURNAMES, SURNAME_CUM)
    n = 1 if rnd.random() < 0.33 else 2
    return surname + "".join(rnd.choice(GIVEN) for _ in range(n))


def project_code(rnd: random.Random) -> str:
    return _pick(rnd, PROJECTS, PROJECT_CUM)


def room_parts(rnd: random.Random) -> tuple[int, int, str]:
    """(楼栋, 单元, 房号): 1–30 栋, 1–4 单元, floors 1–33 with 01–04 per floor (e.g. 1502)."""
    building = rnd.randint(1, 30)
    unit = rnd.randint(1, 4)
    floor = rnd.randint(1, 33)
    return building, unit, f"{floor}{rnd.randint(1, 4):02d}"


def mobile(rnd: random.Random) -> str:
    return rnd.choice(PHONE_PREFIXES) + f"{rnd.randrange(10**8):08d}"


def remark(rnd: random.Random) -> str:
    return rnd.choice(REMARK_WHAT) + "，" + rnd.choice(REMARK_DETAIL)


def amount(rnd: random.Random, low: int = 50, high: int = 8000) -> str:
    """A money value as clean data holds it: a string with two decimals."""
    cents = rnd.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"
