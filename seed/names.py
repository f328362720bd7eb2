"""Realistic names, phones and ID numbers for demo data (valid formats, fictional people)."""
import random
from datetime import date, timedelta

from documents.validators import id_card_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "婷婷", "子涵", "浩然", "欣怡",
         "宇轩", "梓萱", "俊杰", "雨桐", "嘉怡", "文博", "思远", "佳琪", "一鸣"]
FOREIGN = [("Michael", "Brown"), ("Emma", "Wilson"), ("James", "Taylor"), ("Olivia", "Martin"),
           ("Daniel", "Schmidt"), ("Sophie", "Dubois"), ("Kenji", "Sato"), ("Anna", "Novak")]
AREA_CODES = ["440305", "440304", "110101", "310104", "420106", "510107", "430102", "350203"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "158", "186", "177", "199"]) + \
        "".join(str(rng.randrange(10)) for _ in range(8))


def id_card(rng: random.Random, birthday: date, female: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + (rng.choice([0, 2, 4, 6, 8]) if female else rng.choice([1, 3, 5, 7, 9]))
    first17 = f"{rng.choice(AREA_CODES)}{birthday:%Y%m%d}{seq:03d}"
    return first17 + id_card_check_digit(first17)


def birthday(rng: random.Random, min_age: int, max_age: int) -> date:
    return date(2026, 1, 1) - timedelta(days=rng.randrange(min_age * 365, max_age * 365))


def plate(rng: random.Random) -> str:
    tail = "".join(rng.choice("0123456789" + PLATE_LETTERS[:5]) for _ in range(4)) + str(rng.randrange(10))
    return "粤B" + tail
