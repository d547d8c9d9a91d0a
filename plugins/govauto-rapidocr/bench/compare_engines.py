"""Compare the OCR engines on rendered ID-card crops and lease pages: character accuracy, ID-number and name
exact matches, seconds per image; with and without govauto's preprocessing.

    OMP_THREAD_LIMIT=1 python plugins/govauto-rapidocr/bench/compare_engines.py [--crops 12] [--pages 2]

Images are rendered with Pillow and Noto Sans CJK SC (Debian ``fonts-noto-cjk``), then degraded the way scans
and phone photos are: grey paper, lower contrast, sensor noise, dust, blur, JPEG artefacts, a small rotation.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文辉鹏飞晓东海燕春雪琳宇浩然子涵欣怡"
STREETS = ["深圳市南山区粤海街道科技园路", "广州市天河区天河路", "东莞市南城街道鸿福路", "佛山市禅城区祖庙路",
           "珠海市香洲区凤凰北路", "惠州市惠城区江北街道文昌一路"]
PAGE_TEXT = [
    "房屋租赁合同",
    "出租方（甲方）：{landlord}  身份证号码：{landlord_id}",
    "承租方（乙方）：{name}  公民身份号码：{id}",
    "根据《中华人民共和国民法典》及有关法律法规的规定，",
    "甲乙双方在平等、自愿、协商一致的基础上，就房屋租赁事宜达成如下协议。",
    "第一条 甲方将位于{street}{no}号的房屋出租给乙方使用。",
    "第二条 房屋建筑面积为四十五平方米，用途为经营个体工商户。",
    "第三条 租赁期限自二〇二四年三月一日起至二〇二七年二月二十八日止。",
    "第四条 月租金为人民币叁仟伍佰元整，乙方应于每月五日前支付。",
    "第五条 乙方应按时缴纳水费、电费、燃气费及物业管理费。",
    "第六条 租赁期间，乙方不得擅自改变房屋结构和用途。",
    "第七条 甲方应保证房屋及设施符合安全使用要求。",
    "第八条 租赁期满，乙方需继续租用的，应提前一个月书面通知甲方。",
    "第九条 任何一方违约的，应向守约方支付违约金壹万元。",
    "第十条 本合同未尽事宜，双方可另行协商签订补充协议。",
    "第十一条 本合同一式两份，甲乙双方各执一份，具有同等法律效力。",
    "第十二条 因本合同发生争议的，由房屋所在地人民法院管辖。",
    "甲方签字：{landlord}        乙方签字：{name}",
    "联系电话：13800138000    联系电话：13912345678",
    "签订日期：二〇二四年二月二十日",
]


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size, index=2)  # index 2: Simplified Chinese


def id_number(rng: random.Random) -> str:
    body = f"{rng.choice(['440305', '440106', '441900', '110101', '310104'])}{rng.randint(1960, 2004)}" \
           f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def person(rng: random.Random) -> dict[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    landlord = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
    return {"name": name, "id": id_number(rng), "landlord": landlord, "landlord_id": id_number(rng),
            "street": rng.choice(STREETS), "no": str(rng.randint(1, 300))}


def render_lines(lines: list[str], size: int, pad: int, spacing: float = 1.6) -> Image.Image:
    face = font(size)
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    width = max(int(probe.textlength(line, font=face)) for line in lines) + 2 * pad
    height = int(len(lines) * size * spacing) + 2 * pad
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * size * spacing), line, font=face, fill="black")
    return image


def id_crop(p: dict[str, str], size: int = 28) -> tuple[Image.Image, list[str]]:
    lines = [f"姓名 {p['name']}", f"住址 {p['street']}{p['no']}号", f"公民身份号码 {p['id']}"]
    return render_lines(lines, size, pad=size), lines


def a4_page(p: dict[str, str], dpi: int = 200, size_pt: float = 12) -> tuple[Image.Image, list[str]]:
    lines = [line.format(**p) for line in PAGE_TEXT]
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    px = round(size_pt / 72 * dpi)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    face = font(px)
    for i, line in enumerate(lines):
        draw.text((int(0.9 * dpi), int(1.0 * dpi) + i * int(px * 1.9)), line, font=face, fill="black")
    return image, lines


def degrade(image: Image.Image, rng: random.Random, *, noise: float = 18, dust: float = 0.004, blur: float = 0.8,
            angle: float = 0.0, jpeg: int | None = 45, contrast: float = 0.75) -> Image.Image:
    """A scan or photo of ``image``: rotated, blurred, low-contrast grey paper, noise, dust, JPEG artefacts."""
    seed = rng.randint(0, 2**31)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    gen = np.random.default_rng(seed)
    values = np.asarray(image.convert("L"), dtype=np.float64) * contrast + (1 - contrast) * 255 - 20
    values += gen.normal(0, noise, values.shape)
    speck = gen.random(values.shape)
    values[speck < dust / 2] = 0
    values[speck > 1 - dust / 2] = 255
    out = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8)).convert("RGB")
    if jpeg:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=jpeg)
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return out


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def compact(text: str) -> str:
    return "".join(text.split())


@dataclass
class Score:
    accuracy: list[float] = field(default_factory=list)
    ids: list[bool] = field(default_factory=list)
    names: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def row(self) -> str:
        both = [i and n for i, n in zip(self.ids, self.names, strict=True)]
        return (f"acc {statistics.mean(self.accuracy):.3f}  id {sum(self.ids)}/{len(self.ids)}  "
                f"name {sum(self.names)}/{len(self.names)}  both {sum(both) / len(both):.2f}  "
                f"s/img {statistics.mean(self.seconds):.2f} (max {max(self.seconds):.2f})")


def run(engine: object, image: Image.Image, truth: list[str], p: dict[str, str], pre: bool, score: Score) -> None:
    from govauto.extract.images import preprocess

    start = time.perf_counter()
    prepared = preprocess(image) if pre else image
    words = engine.recognize(prepared)  # type: ignore[attr-defined]
    score.seconds.append(time.perf_counter() - start)
    text = compact("".join(w.text for w in words))
    expected = compact("".join(truth))
    score.accuracy.append(max(0.0, 1 - edit_distance(text, expected) / len(expected)))
    score.ids.append(p["id"] in text)
    score.names.append(p["name"] in text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=12)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--engines", default="tesseract,tesseract-psm3,rapidocr")
    parser.add_argument("--only", default="", help="comma-separated variant names to run")
    args = parser.parse_args()

    from govauto.extract.tesseract import TesseractEngine

    factories: dict[str, Callable[[], object]] = {
        "tesseract": lambda: TesseractEngine(psm=6),
        "tesseract-psm3": lambda: TesseractEngine(psm=3),
        "tesseract-psm4": lambda: TesseractEngine(psm=4),
    }
    try:
        from govauto_rapidocr import RapidOcrEngine

        factories["rapidocr"] = RapidOcrEngine
        factories["rapidocr-cls"] = lambda: RapidOcrEngine(use_cls=True)
        factories["rapidocr-1thread"] = lambda: RapidOcrEngine(threads=1)
    except ImportError:
        pass
    engines = {name: factories[name]() for name in args.engines.split(",") if name in factories}
    if "rapidocr" in engines:  # load the models outside the timings
        engines["rapidocr"].recognize(Image.new("RGB", (64, 32), "white"))  # type: ignore[attr-defined]

    rng = random.Random(20240301)
    people = [person(rng) for _ in range(max(args.crops, args.pages))]
    variants: dict[str, Callable[[dict[str, str], random.Random], tuple[Image.Image, list[str]]]] = {
        "crop clean": lambda p, r: id_crop(p),
        "crop clean small (16px)": lambda p, r: id_crop(p, 16),
        "crop noisy": lambda p, r: (degrade(id_crop(p)[0], r), id_crop(p)[1]),
        "crop noisy+rot3": lambda p, r: (degrade(id_crop(p)[0], r, angle=r.choice([-3, 3])), id_crop(p)[1]),
        "crop blur1.5+jpeg30": lambda p, r: (degrade(id_crop(p)[0], r, blur=1.5, jpeg=30, noise=10), id_crop(p)[1]),
        "crop noisy small (18px)": lambda p, r: (degrade(id_crop(p, 18)[0], r, blur=0.6), id_crop(p, 18)[1]),
        "A4 clean": lambda p, r: a4_page(p),
        "A4 noisy+rot1.5": lambda p, r: (degrade(a4_page(p)[0], r, angle=r.choice([-1.5, 1.5]), blur=1.0),
                                         a4_page(p)[1]),
    }
    only = {v.strip() for v in args.only.split(",") if v.strip()}
    for variant, make in variants.items():
        if only and variant not in only:
            continue
        count = args.pages if variant.startswith("A4") else args.crops
        samples = []
        vr = random.Random(variant)
        for p in people[:count]:
            samples.append((*make(p, vr), p))
        for name, engine in engines.items():
            for pre in (False, True):
                score = Score()
                for image, truth, p in samples:
                    run(engine, image, truth, p, pre, score)
                print(f"{variant:26s} {name:16s} {'pre' if pre else 'raw':3s}  {score.row()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
