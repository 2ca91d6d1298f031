"""Loading the area tree from CSV files: `areas_load` and `shouwang areas load`.

Small trees are written to tmp_path; the national lists (../shared/data/areas) are
loaded once, in the one test that needs them, because a full load takes seconds.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shouwang.audit.models import AuditEntry
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaLoadError, areas_load

PROVINCES = "code,name\n35,福建省\n"
CITIES = "code,name,provinceCode\n3507,南平市,35\n"
COUNTIES = "code,name,cityCode,provinceCode\n350724,松溪县,3507,35\n"
STREET_HEADER = "code,name,areaCode,provinceCode,cityCode\n"
STREETS = STREET_HEADER + "350724101,郑墩镇,350724,35,3507\n350724102,渭田镇,350724,35,3507\n"
VILLAGES = "code,name,townshipCode\n350724101200,上洋村,350724101\n"
GOOD_FILES = {
    "provinces.csv": PROVINCES,
    "cities.csv": CITIES,
    "areas.csv": COUNTIES,
    "streets.csv": STREETS,
}


def write_files(tmp_path, files, encoding="utf-8"):
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        paths.append(path)
    return paths


def load(tmp_path, files, encoding="utf-8"):
    return areas_load(paths=write_files(tmp_path, files, encoding))


def area_audit_entries():
    return AuditEntry.objects.filter(content_type__model="area")


# --- The national lists ------------------------------------------------------------


@pytest.mark.django_db
def test_national_lists_load_every_level_and_a_second_load_changes_nothing(areas_data_dir):
    paths = [
        areas_data_dir / name
        for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")
    ]
    out = StringIO()
    call_command("areas", "load", *paths, stdout=out)

    # 2,978 county rows and 41,352 township rows, less the four rows that name the
    # same area as their parent: 东莞市, 中山市 and 儋州市 listed again as counties,
    # and 金门县 listed again as a township.
    assert Area.objects.filter(level=Level.PROVINCE).count() == 31
    assert Area.objects.filter(level=Level.CITY).count() == 342
    assert Area.objects.filter(level=Level.COUNTY).count() == 2975
    assert Area.objects.filter(level=Level.TOWNSHIP).count() == 41351
    assert Area.objects.filter(level=Level.VILLAGE).count() == 0
    assert "新增 44699，更新 0，未变 0。" in out.getvalue()
    assert "4 行与上级是同一区划" in out.getvalue()
    assert area_audit_entries().filter(action=AuditEntry.Action.CREATE).count() == 44699

    # A city without counties: its townships hang directly below the city.
    dongguan = Area.objects.get(code="441900000000")
    assert (dongguan.name, dongguan.level) == ("东莞市", Level.CITY)
    dongguan_townships = Area.objects.filter(parent=dongguan)
    assert dongguan_townships.count() == 36
    assert set(dongguan_townships.values_list("level", flat=True)) == {Level.TOWNSHIP}
    assert Area.objects.get(code="442000000000").children.count() == 23  # 中山市
    assert Area.objects.get(code="460400000000").children.count() == 18  # 儋州市
    # A county without townships: 金门县 is a county with no children.
    kinmen = Area.objects.get(code="350527000000")
    assert (kinmen.name, kinmen.level, kinmen.children.count()) == ("金门县", Level.COUNTY, 0)

    zhengdun = Area.objects.get(code="350724101000")
    assert zhengdun.parent_id == "350724000000"
    assert zhengdun.full_name() == "福建省南平市松溪县郑墩镇"

    entries_before = area_audit_entries().count()
    report = areas_load(paths=paths)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 44699)
    assert report.placeholders == 4
    assert area_audit_entries().count() == entries_before
    assert Area.objects.count() == 44699


# --- Small trees -------------------------------------------------------------------


@pytest.mark.django_db
def test_small_tree_loads_with_parents_and_one_create_entry_per_area(tmp_path):
    report = load(tmp_path, GOOD_FILES)

    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert report.by_level == {1: 1, 2: 1, 3: 1, 4: 2}
    assert list(Area.objects.values_list("code", "name", "level", "parent_id")) == [
        ("350000000000", "福建省", Level.PROVINCE, None),
        ("350700000000", "南平市", Level.CITY, "350000000000"),
        ("350724000000", "松溪县", Level.COUNTY, "350700000000"),
        ("350724101000", "郑墩镇", Level.TOWNSHIP, "350724000000"),
        ("350724102000", "渭田镇", Level.TOWNSHIP, "350724000000"),
    ]
    entry = area_audit_entries().get(object_pk="350724101000")
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.changes["name"] == [None, "郑墩镇"]
    assert entry.changes["parent"] == [None, "350724000000"]
    assert entry.additional_data["source"] == "areas load"


@pytest.mark.django_db
def test_loading_the_same_small_files_again_creates_nothing_and_audits_nothing(tmp_path):
    load(tmp_path, GOOD_FILES)
    entries = area_audit_entries().count()

    report = load(tmp_path, GOOD_FILES)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert area_audit_entries().count() == entries == 5


@pytest.mark.django_db
def test_files_load_in_any_order(tmp_path):
    reversed_files = dict(reversed(list(GOOD_FILES.items())))

    report = load(tmp_path, reversed_files)

    assert report.created == 5
    assert Area.objects.get(code="350724102000").parent_id == "350724000000"


@pytest.mark.django_db
def test_a_changed_name_updates_the_area_and_audits_old_and_new_name(tmp_path):
    load(tmp_path, GOOD_FILES)
    renamed = {**GOOD_FILES, "streets.csv": STREETS.replace("郑墩镇", "郑墩新镇")}

    report = load(tmp_path, renamed)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert Area.objects.get(code="350724101000").name == "郑墩新镇"
    update = area_audit_entries().get(action=AuditEntry.Action.UPDATE)
    assert update.object_pk == "350724101000"
    assert update.object_repr == "郑墩新镇"
    assert update.changes == {"name": ["郑墩镇", "郑墩新镇"]}
    assert update.additional_data["source"] == "areas load"


@pytest.mark.django_db
def test_gbk_encoded_file_loads_with_its_chinese_names(tmp_path):
    report = load(tmp_path, GOOD_FILES, encoding="gbk")

    assert report.created == 5
    assert Area.objects.get(code="350724101000").name == "郑墩镇"


@pytest.mark.django_db
def test_utf8_file_with_byte_order_mark_loads(tmp_path):
    report = load(tmp_path, GOOD_FILES, encoding="utf-8-sig")

    assert report.created == 5
    assert Area.objects.get(code="350000000000").name == "福建省"


@pytest.mark.django_db
def test_file_in_neither_utf8_nor_gb18030_is_reported_and_nothing_is_loaded(tmp_path):
    paths = write_files(tmp_path, GOOD_FILES)
    paths[-1].write_bytes(STREETS.encode("utf-16"))

    with pytest.raises(AreaLoadError) as caught:
        areas_load(paths=paths)

    assert [(e.file, e.row, e.reason) for e in caught.value.errors] == [
        ("streets.csv", 0, "文件编码不是 UTF-8 或 GB18030")
    ]
    assert not Area.objects.exists()


@pytest.mark.django_db
def test_village_list_loads_below_existing_townships(tmp_path, demo_areas):
    villages = (
        "code,name,townshipCode\n"
        "350724101001,郑墩社区,350724101\n"
        "350724101999,最末村,350724101\n"
        "350724102399,渭田新村,350724102\n"
    )
    before = Area.objects.count()

    report = load(tmp_path, {"villages.csv": villages})

    assert (report.created, report.updated) == (3, 0)
    assert Area.objects.count() == before + 3
    assert list(
        Area.objects.filter(code__in=["350724101001", "350724101999", "350724102399"])
        .order_by("code")
        .values_list("name", "level", "parent_id")
    ) == [
        ("郑墩社区", Level.VILLAGE, "350724101000"),
        ("最末村", Level.VILLAGE, "350724101000"),
        ("渭田新村", Level.VILLAGE, "350724102000"),
    ]


@pytest.mark.django_db
def test_village_list_with_townships_in_the_same_run_loads(tmp_path):
    report = load(tmp_path, {**GOOD_FILES, "villages.csv": VILLAGES})

    assert report.by_level[Level.VILLAGE] == 1
    assert Area.objects.get(code="350724101200").parent_id == "350724101000"


@pytest.mark.django_db
def test_city_listed_again_as_county_is_merged_into_the_city(tmp_path):
    files = {
        "provinces.csv": "code,name\n44,广东省\n",
        "cities.csv": "code,name,provinceCode\n4419,东莞市,44\n",
        "areas.csv": "code,name,cityCode,provinceCode\n441900,东莞市,4419,44\n",
        "streets.csv": STREET_HEADER + "441900003,东城街道,441900,44,4419\n",
    }

    report = load(tmp_path, files)

    assert (report.created, report.placeholders) == (3, 1)
    assert not Area.objects.filter(level=Level.COUNTY).exists()
    street = Area.objects.get(code="441900003000")
    assert (street.level, street.parent_id) == (Level.TOWNSHIP, "441900000000")


@pytest.mark.django_db
def test_blank_lines_are_skipped_but_still_counted_in_line_numbers(tmp_path):
    streets = STREETS + "\n\n35072410X,新镇,350724,35,3507\n"

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {**GOOD_FILES, "streets.csv": streets})

    assert [(e.file, e.row) for e in caught.value.errors] == [("streets.csv", 6)]


# --- Bad rows: every one is reported, and nothing at all is loaded -------------------

# (file, text appended to the good file or replacing it, line, reason)
BAD_ROWS = {
    "non-digit code": (
        "streets.csv",
        "35072410X,新镇,350724,35,3507\n",
        4,
        "代码 35072410X 含有非数字字符",
    ),
    "code one digit short": (
        "streets.csv",
        "35072410,新镇,350724,35,3507\n",
        4,
        "代码 35072410 应为 9 位（乡镇级）",
    ),
    "code one digit long": (
        "streets.csv",
        "3507241030,新镇,350724,35,3507\n",
        4,
        "代码 3507241030 应为 9 位（乡镇级）",
    ),
    "empty name": ("streets.csv", "350724103,,350724,35,3507\n", 4, "名称为空"),
    "name of spaces only": ("streets.csv", "350724103,  ,350724,35,3507\n", 4, "名称为空"),
    "parent missing": (
        "streets.csv",
        "350725101,政和镇,350725,35,3507\n",
        4,
        "上级区划 350725 不存在",
    ),
    "parent code of the wrong length": (
        "streets.csv",
        "350724103,新镇,35072,35,3507\n",
        4,
        "上级代码 35072 应为 6 位数字",
    ),
    "code prefix disagreeing with the parent": (
        "streets.csv",
        "350725101,政和镇,350724,35,3507\n",
        4,
        "代码 350725101 与上级代码 350724 的前缀不一致",
    ),
    "provinceCode disagreeing with the code": (
        "streets.csv",
        "350724103,新镇,350724,36,3507\n",
        4,
        "provinceCode=36 与代码前缀 35 不一致",
    ),
    "cityCode disagreeing with the code": (
        "streets.csv",
        "350724103,新镇,350724,35,3508\n",
        4,
        "cityCode=3508 与代码前缀 3507 不一致",
    ),
    "county provinceCode disagreeing with the code": (
        "areas.csv",
        "350725,政和县,3507,36\n",
        3,
        "provinceCode=36 与代码前缀 35 不一致",
    ),
    "duplicate code": (
        "streets.csv",
        "350724101,郑墩镇,350724,35,3507\n",
        4,
        "代码 350724101 重复（已见于 streets.csv 第 2 行）",
    ),
    "one column too few": ("streets.csv", "350724103,新镇,350724,35\n", 4, "应有 5 列，实际 4 列"),
    "one column too many": (
        "streets.csv",
        "350724103,新镇,350724,35,3507,x\n",
        4,
        "应有 5 列，实际 6 列",
    ),
    "unknown header": (
        "villages.csv",
        "code,name,township\n350724101200,上洋村,350724101\n",
        1,
        "无法识别的表头 code,name,township",
    ),
    "village code ending in 000": (
        "villages.csv",
        "code,name,townshipCode\n350724101000,郑墩村,350724101\n",
        2,
        "村级代码 350724101000 的末三位不能为 000",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("file", "text", "line", "reason"), BAD_ROWS.values(), ids=BAD_ROWS)
def test_a_bad_row_is_reported_with_file_line_and_reason_and_nothing_is_loaded(
    tmp_path, file, text, line, reason
):
    files = dict(GOOD_FILES)
    if file in files:
        files[file] += text  # one bad row below the good ones
    else:
        files[file] = text  # a file of its own

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, files)

    assert [(e.file, e.row, e.reason) for e in caught.value.errors] == [(file, line, reason)]
    assert f"{file} 第 {line} 行：{reason}" in str(caught.value)
    assert not Area.objects.exists()
    assert not area_audit_entries().exists()


@pytest.mark.django_db
def test_every_bad_row_of_every_file_is_reported_at_once(tmp_path):
    files = {
        **GOOD_FILES,
        "cities.csv": CITIES + "35x8,三明市,35\n",
        "streets.csv": STREETS + ",新镇,350724,35,3507\n" + "350724103,,350724,35,3507\n",
    }

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, files)

    assert [(e.file, e.row) for e in caught.value.errors] == [
        ("cities.csv", 3),
        ("streets.csv", 4),
        ("streets.csv", 5),
    ]


@pytest.mark.django_db
def test_a_bad_row_leaves_areas_loaded_earlier_untouched(tmp_path):
    load(tmp_path, GOOD_FILES)
    renamed_and_broken = {
        **GOOD_FILES,
        "streets.csv": STREETS.replace("郑墩镇", "郑墩新镇") + "350724103,,350724,35,3507\n",
    }

    with pytest.raises(AreaLoadError):
        load(tmp_path, renamed_and_broken)

    assert Area.objects.get(code="350724101000").name == "郑墩镇"
    assert not area_audit_entries().filter(action=AuditEntry.Action.UPDATE).exists()


@pytest.mark.django_db
def test_village_code_ending_in_001_is_the_first_valid_one(tmp_path):
    villages = "code,name,townshipCode\n350724101001,郑墩社区,350724101\n"

    report = load(tmp_path, {**GOOD_FILES, "villages.csv": villages})

    assert report.created == 6
    assert Area.objects.get(code="350724101001").level == Level.VILLAGE


@pytest.mark.django_db
def test_village_below_a_township_that_does_not_exist_is_reported(tmp_path, demo_areas):
    villages = "code,name,townshipCode\n350724199200,无名村,350724199\n"
    before = Area.objects.count()

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {"villages.csv": villages})

    assert [(e.file, e.row, e.reason) for e in caught.value.errors] == [
        ("villages.csv", 2, "上级区划 350724199 不存在")
    ]
    assert Area.objects.count() == before


@pytest.mark.django_db
def test_missing_parent_whose_code_ends_in_zero_is_named_as_written_in_the_file(tmp_path):
    streets = STREETS + "350720101,某镇,350720,35,3507\n"

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {**GOOD_FILES, "streets.csv": streets})

    assert [e.reason for e in caught.value.errors] == ["上级区划 350720 不存在"]


@pytest.mark.django_db
def test_row_repeating_a_parent_that_does_not_exist_is_reported(tmp_path):
    # 金门县 listed again as a township, but the county 350527 is neither in the
    # files nor in the database.
    streets = STREET_HEADER + "350527000,金门县,350527,35,3505\n"

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {"streets.csv": streets})

    assert [(e.file, e.row, e.reason) for e in caught.value.errors] == [
        ("streets.csv", 2, "上级区划 350527 不存在")
    ]


@pytest.mark.django_db
def test_line_numbers_stay_right_after_a_quoted_name_spanning_two_lines(tmp_path):
    streets = STREET_HEADER + '350724103,"新\n镇",350724,35,3507\n35072410X,新镇,350724,35,3507\n'

    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {**GOOD_FILES, "streets.csv": streets})

    assert [(e.file, e.row) for e in caught.value.errors] == [("streets.csv", 4)]


@pytest.mark.django_db
def test_missing_file_is_reported_and_nothing_is_loaded(tmp_path):
    paths = write_files(tmp_path, GOOD_FILES) + [tmp_path / "missing.csv"]

    with pytest.raises(AreaLoadError) as caught:
        areas_load(paths=paths)

    [error] = caught.value.errors
    assert error.file.endswith("missing.csv")
    assert "无法读取文件" in error.reason
    assert not Area.objects.exists()


# --- The command line --------------------------------------------------------------


@pytest.mark.django_db
def test_command_loads_files_and_reports_counts(tmp_path):
    out = StringIO()

    call_command("areas", "load", *write_files(tmp_path, GOOD_FILES), stdout=out)

    assert "新增 5，更新 0，未变 0。" in out.getvalue()
    assert Area.objects.count() == 5


@pytest.mark.django_db
def test_command_fails_listing_every_error_and_loads_nothing(tmp_path):
    files = {
        **GOOD_FILES,
        "cities.csv": CITIES + "35x8,三明市,35\n",
        "streets.csv": STREETS + "350724103,,350724,35,3507\n",
    }
    err = StringIO()

    with pytest.raises(CommandError, match="2 处错误，未导入任何区划。"):
        call_command("areas", "load", *write_files(tmp_path, files), stderr=err)

    assert err.getvalue().splitlines() == [
        "cities.csv 第 3 行：代码 35x8 含有非数字字符",
        "streets.csv 第 4 行：名称为空",
    ]
    assert not Area.objects.exists()


@pytest.mark.django_db
def test_a_row_repeating_its_parent_under_another_name_is_reported(tmp_path):
    cities = "code,name,provinceCode\n3500,别的名字,35\n"
    with pytest.raises(AreaLoadError) as caught:
        load(tmp_path, {"provinces.csv": "code,name\n35,福建省\n", "cities.csv": cities})
    assert [(e.file, e.row, e.reason) for e in caught.value.errors] == [
        ("cities.csv", 2, "代码与上级 35（福建省）相同，但名称是 别的名字")
    ]
