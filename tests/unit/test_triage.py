"""Triage before the form: the matcher (handlers.core.triage), its data file, the notice it leads to
(handlers.core.triage_notice) and the description step that adds it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.settings import SettingsError, load_settings
from handlers.citizen.form import COMPLAINT_FORM
from handlers.core.actions import Send
from handlers.core.events import Event
from handlers.core.forms import Accept
from handlers.core.i18n import texts
from handlers.core.questions import DESCRIPTION, FormContext
from handlers.core.topics import load_topics
from handlers.core.triage import DEFAULT_TRIAGE, TriageError, default_rules, load_triage, parse_triage
from handlers.core.triage_notice import in_form, notice, outside_form
from handlers.core.validation import Limits
from handlers.whistleblower.form import ANON_FORM

ROOT = Path(__file__).resolve().parents[2]
RULES = default_rules()
BUNDLED: dict[str, Any] = json.loads(DEFAULT_TRIAGE.read_text(encoding="utf-8"))


def codes(text: str | None, rules=RULES) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.code for c in rules.match(text)]


# -- each category, in Indonesian and in English --------------------------------------------------


@pytest.mark.parametrize(("text", "category"), [
    ("Saya sudah tidak kuat, rasanya ingin bunuh diri saja", "suicide"),
    ("pengen mati aja, capek hidup", "suicide"),
    ("I want to kill myself tonight", "suicide"),
    ("Tolong, tetangga saya kena KDRT tiap malam", "violence"),
    ("anak saya dipukuli gurunya", "violence"),
    ("my neighbour was stabbed last night", "violence"),
    ("Ada kebakaran di Pasar Tangga Arung!", "fire"),
    ("rumah warga terbakar di RT 3", "fire"),
    ("there is a fire near the school", "fire"),
    ("Banjir setinggi lutut di Loa Janan", "flood"),
    ("desa kami kebanjiran sejak subuh", "flood"),
    ("the whole street is flooded", "flood"),
    ("Kecelakaan motor di jalan poros, korban pingsan", "medical"),
    ("ada tabrakan truk di jembatan", "medical"),
    ("my father fainted and is not breathing", "medical"),
    ("motor saya dibegal semalam", "crime"),
    ("laporan pencurian di rumah saya", "crime"),
    ("my phone was stolen at the market", "crime"),
    ("Saya mau protes hasil sidang kemarin", "court"),
    ("putusan pengadilan soal tanah kami tidak adil", "court"),
    ("the court ruled against me in my divorce", "court"),
    ("Jalan rusak di Samarinda dekat Big Mall", "outside"),
    ("lampu jalan mati di Balikpapan", "outside"),
    ("this happened in another city", "outside"),
])  # fmt: skip
def test_each_category_is_recognised_in_both_languages(text: str, category: str) -> None:
    assert category in codes(text)


@pytest.mark.parametrize("text", [
    "Lampu jalan mati sejak seminggu, gelap dan rawan.",  # "mati" alone is a broken lamp
    "Jalan berlubang besar, motor sering jatuh. Mohon segera diperbaiki.",
    "Petugas loket meminta uang Rp 500.000 untuk izin, tanpa kuitansi resmi.",  # pungli: ours to handle
    "Warga membanjiri kantor desa untuk antre bantuan",  # figurative "flood": not the word banjir
    "Jembatan darurat di desa kami sudah lapuk",  # a temporary bridge, not an emergency
    "Rapat sidang paripurna DPRD membahas anggaran jalan",
    "I was fired from the project without pay",  # "fired" is not "fire"
    "The food court at the terminal has no clean toilets",
    "Sapi warga masuk ke kebun; kapi dan lapi",  # "api" would be inside these words: no keyword
    "",
    None,
])  # fmt: skip
def test_ordinary_complaints_match_nothing(text: str | None) -> None:
    assert codes(text) == []


def test_case_accents_and_invisible_characters_are_folded() -> None:
    assert codes("KEBAKARAN") == ["fire"]
    assert codes("kébakàran") == ["fire"]
    assert codes("ＫＥＢＡＫＡＲＡＮ") == ["fire"]  # full-width letters (NFKD)
    assert codes("keba\u200bkaran") == ["fire"]  # a zero-width space pasted inside the word
    assert codes("BUNUH DIRI") == ["suicide"]


def test_phrases_need_their_words_next_to_each_other() -> None:
    assert codes("bunuh   diri") == ["suicide"]
    assert codes("bunuh-diri") == ["suicide"]
    assert codes("bunuh nyamuk sendiri lalu cuci diri") == []
    assert codes("diri bunuh") == []
    assert codes("tabrak lari") == ["medical"]


def test_word_boundaries_with_a_file_that_has_a_short_word(tmp_path: Path) -> None:
    data = copy.deepcopy(BUNDLED)
    data["categories"]["fire"]["keywords"]["id"] = ["api"]
    rules = load_triage(_write(tmp_path, data))
    assert codes("ada api di dapur", rules) == ["fire"]
    assert codes("API!", rules) == ["fire"]
    for text in ("kapi", "sapi", "apimu", "kereta-apix", "rapi"):
        assert codes(text, rules) == [], text


def test_emoji_html_and_digits_around_words() -> None:
    assert codes("🔥🔥kebakaran🔥") == ["fire"]
    assert codes("<b>banjir</b> &amp; longsor") == ["flood"]
    assert codes("dipukul2 sama suami") == ["violence"]  # informal reduplication "dipukul2"
    assert codes("<script>alert('bunuh diri')</script>") == ["suicide"]


def test_several_categories_in_the_order_a_notice_lists_them() -> None:
    found = codes("Banjir dan kebakaran di Samarinda, saya ingin mati saja")
    assert found == ["suicide", "fire", "flood", "outside"]


def test_an_exception_cancels_only_the_keyword_inside_it() -> None:
    assert codes("Jembatan darurat ambruk, ini darurat, ada korban") == ["medical"]
    assert codes("sidang DPRD") == []
    assert codes("sidang DPRD tidak membahas sidang gugatan saya") == ["court"]


# -- the notice -----------------------------------------------------------------------------------


class Balanced(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag


def test_one_message_lists_each_category_suicide_first_and_gently() -> None:
    html = outside_form("Rumah saya kebakaran dan saya ingin bunuh diri", RULES, texts("en"))
    assert html is not None
    assert html.index("You are not alone") < html.index("not an emergency line") < html.index("Fire")
    assert "119 ext 8" in html and "<b>112</b>" in html and "<b>113</b>" in html
    assert html.count("<b>112</b>") == 1  # listed once, under the first section that needs it
    assert "make a report" in html  # outside a form: the report may still be made
    checker = Balanced()
    checker.feed(html)
    assert not checker.stack


def test_the_notice_speaks_indonesian_first() -> None:
    html = in_form("Kemarin ada tabrakan di depan sekolah, korban pingsan", RULES, texts("id"))
    assert html is not None
    assert "Kecelakaan atau gawat darurat medis" in html and "<b>119</b>" in html and "<b>118</b>" in html
    assert "Ambulans dan gawat darurat medis" in html  # the contact's label in the reader's language
    assert "tidak menghentikan laporan" in html


def test_crime_court_and_another_region_say_where_to_go() -> None:
    html = outside_form("motor dibegal, sidangnya di Samarinda, putusan pengadilan", RULES, texts("en"))
    assert html is not None
    assert "police" in html and "<b>110</b>" in html
    assert "court" in html and "pn-tenggarong.go.id" in html
    assert "SP4N-LAPOR" in html and "lapor.go.id" in html
    assert "not an emergency line" not in html  # none of these is an emergency


def test_no_match_no_notice() -> None:
    assert outside_form("Jalan berlubang di Tenggarong", RULES, texts("id")) is None
    assert notice((), texts("id"), in_form=True) is None


def test_operator_text_in_the_data_file_is_escaped(tmp_path: Path) -> None:
    data = copy.deepcopy(BUNDLED)
    data["contacts"]["fire_113"]["en"] = "Damkar <Tenggarong> & Co"
    html = outside_form("fire!", load_triage(_write(tmp_path, data)), texts("en"))
    assert html is not None and "Damkar &lt;Tenggarong&gt; &amp; Co" in html


# -- the description step of both forms -----------------------------------------------------------


def _form_ctx(language: str = "id") -> FormContext:
    return FormContext(texts(language), date(2026, 11, 27), Limits(), load_topics(), [])


def _event(text: str) -> Event:
    return Event(update_id=1, user_id=5, chat_id=5, chat_type="private", text=text)


@pytest.mark.parametrize("form", [COMPLAINT_FORM, ANON_FORM], ids=["lapor", "anonim"])
def test_the_description_is_accepted_with_the_notice_and_the_form_goes_on(form) -> None:  # type: ignore[no-untyped-def]
    ctx = _form_ctx()
    state = {**form.new_state(), "step": "description"}
    text = "Tadi malam terjadi kebakaran di gudang dekat kantor kelurahan, petugas belum datang."
    result = form.handle(_event(text), state, ctx)
    assert result.state is not None and result.state["answers"]["description"] == text
    assert result.state["step"] == form.steps[form.index["description"] + 1].field
    ack, prompt = result.actions[0], result.actions[-1]
    assert isinstance(ack, Send) and "Pemadam Kebakaran" in ack.html and "<b>113</b>" in ack.html
    assert isinstance(prompt, Send) and "Pemadam" not in prompt.html  # the next question, as usual


def test_a_too_short_description_still_gets_the_contacts() -> None:
    ctx = _form_ctx("en")
    state = {**COMPLAINT_FORM.new_state(), "step": "description"}
    result = COMPLAINT_FORM.handle(_event("kebakaran!!"), state, ctx)
    assert result.state is not None and result.state["step"] == "description"
    (reply,) = result.actions
    assert isinstance(reply, Send) and "too short" in reply.html and "<b>113</b>" in reply.html


def test_an_ordinary_description_has_no_note() -> None:
    outcome = DESCRIPTION.on_text("Jalan berlubang besar di depan SDN 001, sudah dua minggu belum diperbaiki.", _form_ctx(), {}, {})  # type: ignore[misc]
    assert isinstance(outcome, Accept) and outcome.note is None


# -- the data file: replaced, and checked at start ------------------------------------------------


def _write(tmp_path: Path, data: Any, name: str = "triage.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_bundled_file_covers_every_category_in_both_languages() -> None:
    for code, category in BUNDLED["categories"].items():
        assert category["keywords"]["id"] and category["keywords"]["en"], code
    numbers = {c.get("number") for c in BUNDLED["contacts"].values()}
    assert {"112", "110", "113", "119", "118", "119 ext 8"} <= numbers
    assert "verify" in " ".join(BUNDLED["_comment"]).lower()


def test_a_replaced_file_is_used_instead(tmp_path: Path) -> None:
    data = copy.deepcopy(BUNDLED)
    data["categories"]["fire"]["keywords"] = {"id": ["rumah hangus"], "en": ["house burnt"]}
    data["contacts"]["fire_113"]["number"] = "0541 661 113"
    rules = load_triage(_write(tmp_path, data))
    assert codes("kebakaran", rules) == []  # the bundled word is gone
    assert codes("Rumah hangus semalam", rules) == ["fire"]
    html = outside_form("house burnt", rules, texts("en"))
    assert html is not None and "<b>0541 661 113</b>" in html


def _broken(mutate) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(BUNDLED)
    mutate(data)
    return data


@pytest.mark.parametrize(("data", "place"), [
    ("{ not json", ":1: not valid JSON"),
    (_broken(lambda d: d["categories"].pop("suicide")), "categories: missing key 'suicide'"),
    (_broken(lambda d: d["categories"].__setitem__("weather", d["categories"]["flood"])), "unknown key 'weather'"),
    (_broken(lambda d: d["categories"]["fire"]["keywords"]["id"].append("!!!")), "categories.fire.keywords.id[11]"),
    (_broken(lambda d: d["categories"]["fire"]["keywords"].pop("en")), "categories.fire.keywords: missing key 'en'"),
    (_broken(lambda d: d["categories"]["crime"]["contacts"].append("satpam")), "categories.crime.contacts: 'satpam' is not in contacts"),
    (_broken(lambda d: d["categories"]["court"].__setitem__("contacts", [])), "categories.court.contacts: must list at least one"),
    (_broken(lambda d: d["contacts"]["police_110"].__setitem__("number", "call the police")), "contacts.police_110.number"),
    (_broken(lambda d: d["contacts"]["lapor"].__setitem__("url", "javascript:alert(1)")), "contacts.lapor.url"),
    (_broken(lambda d: d["contacts"]["lapor"].pop("en")), "contacts.lapor: missing key 'en'"),
    (_broken(lambda d: d["categories"]["flood"].__setitem__("keyword", [])), "categories.flood: unknown key 'keyword'"),
])  # fmt: skip
def test_an_invalid_file_is_refused_naming_the_file_and_the_place(tmp_path: Path, data: Any, place: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(TriageError) as caught:
        load_triage(path)
    assert str(path) in str(caught.value) and place in str(caught.value), str(caught.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TriageError, match="cannot be read"):
        load_triage(tmp_path / "nowhere.json")


def test_parse_needs_an_object() -> None:
    with pytest.raises(TriageError, match="must be an object"):
        parse_triage([], "x.json")


def test_the_setting_is_checked_when_settings_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    good = _write(tmp_path, BUNDLED, "good.json")
    monkeypatch.setenv("TRIAGE_FILE", str(good))
    assert load_settings().triage_file == good
    bad = _write(tmp_path, _broken(lambda d: d["categories"].pop("court")), "bad.json")
    monkeypatch.setenv("TRIAGE_FILE", str(bad))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("invalid setting TRIAGE_FILE:") and "bad.json" in message and "'court'" in message
    assert "\n" not in message


def test_the_bot_does_not_start_with_an_invalid_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, _broken(lambda d: d["contacts"]["police_110"].__setitem__("number", "")), "bad.json")
    database = tmp_path / "never-created.sqlite3"
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
                   "TRIAGE_FILE": str(bad), "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}  # fmt: skip
    process = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=environment,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert process.returncode == 2, process.stderr
    (line,) = process.stderr.splitlines()
    assert "TRIAGE_FILE" in line and "contacts.police_110.number" in line
    assert not database.exists()
