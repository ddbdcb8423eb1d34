"""A small declarative form engine.

A form is a table of `Step`s. The engine gives every step *Back*, *Cancel*, a progress line, a
summary with *Ubah* per field, and a draft (a JSON-able dict) to save after every answer. Steps
only say how to prompt and how to read an answer; they never touch storage or the network.

Callback data is ``<nonce>|<step>|<verb>|<arg>``: the nonce names this draft, the step index this
prompt, so a button from an older prompt or another draft is recognised as stale.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html import unescape
from typing import Any, Generic, TypeVar

from handlers.core.actions import (
    Action,
    AnswerCallback,
    Button,
    Edit,
    InlineKeyboard,
    Keyboard,
    RemoveKeyboard,
    ReplyButton,
    ReplyKeyboard,
    Send,
)
from handlers.core.events import Contact, Event, FileRef, Location
from handlers.core.i18n import Texts
from handlers.core.text import esc

C = TypeVar("C")  # the form's context type (texts, today, limits, lookups)

SUMMARY = "summary"
LEAD = "lead"  # the state's acknowledgement of the last typed answer, which heads the current question's message
MAX_CALLBACK_BYTES = 64


class Invalid(Exception):
    """An answer that cannot be accepted; `message` (HTML, escaped) tells the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Accept:
    value: Any
    note: str | None = None  # an extra line after the acknowledgement
    also: dict[str, Any] | None = None  # other answers this one settles (a voice note kept as evidence)


@dataclass(frozen=True)
class Stay:
    """Keep the step open with new step-local state (a page, a search, a sub-list)."""

    view: dict[str, Any]
    note: str | None = None


Outcome = Accept | Stay


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Prompt:
    html: str
    options: Sequence[Sequence[Option]] = ()  # inline buttons, rows
    reply: Sequence[Sequence[ReplyButton]] = ()  # reply-keyboard buttons (location, contact)
    done_label: str | None = None  # a "finish" button for multi-answer steps


@dataclass(frozen=True)
class Step(Generic[C]):
    """One question of a form.

    prompt(ctx, answers, view) -> Prompt
    on_choice(value, ctx, answers, view) -> Outcome   (an inline button was pressed)
    on_text(text, ctx, answers, view) -> Outcome      (typed text)
    on_files(files, ctx, answers, view), on_location(loc, ctx, answers),
    on_contact(contact, sender_id, ctx, answers)      (other kinds of answer)
    on_done(ctx, answers, view) -> Outcome            (the "done" button of a multi-answer step)
    show(value, ctx) -> str                           (the answer in the summary, HTML)
    takes(texts) -> str                               (what the step accepts, for a wrong kind of message)
    """

    field: str
    label: Callable[[Texts], str]
    prompt: Callable[[C, dict[str, Any], dict[str, Any]], Prompt]
    show: Callable[[Any, C], str]
    on_choice: Callable[[str, C, dict[str, Any], dict[str, Any]], Outcome] | None = None
    on_text: Callable[[str, C, dict[str, Any], dict[str, Any]], Outcome] | None = None
    on_files: Callable[[Sequence[FileRef], C, dict[str, Any], dict[str, Any]], Outcome] | None = None
    on_location: Callable[[Location, C, dict[str, Any]], Outcome] | None = None
    on_contact: Callable[[Contact, int, C, dict[str, Any]], Outcome] | None = None
    on_done: Callable[[C, dict[str, Any], dict[str, Any]], Outcome] | None = None
    optional: bool = False
    skip_value: Any = None
    takes: Callable[[Texts], str] | None = None


@dataclass
class FormResult:
    """What the engine decided: the new draft (None when the form ended) and what to send."""

    state: dict[str, Any] | None
    actions: list[Action] = field(default_factory=list)
    submitted: dict[str, Any] | None = None  # the answers, when the user pressed "Kirim"
    cancelled: bool = False


class FormEngine(Generic[C]):
    def __init__(self, name: str, steps: Sequence[Step[C]], texts_of: Callable[[C], Texts]) -> None:
        self.name = name
        self.steps = list(steps)
        self.index = {step.field: i for i, step in enumerate(self.steps)}
        self._texts = texts_of

    # -- state --------------------------------------------------------------------------------

    def new_state(self) -> dict[str, Any]:
        return {
            "form": self.name,
            "nonce": secrets.token_urlsafe(3),
            "step": self.steps[0].field,
            "answers": {},
            "view": {},
            "editing": False,
        }

    def owns(self, state: dict[str, Any] | None) -> bool:
        return bool(state) and state.get("form") == self.name  # type: ignore[union-attr]

    def step_number(self, state: dict[str, Any]) -> int:
        return len(self.steps) + 1 if state["step"] == SUMMARY else self.index[state["step"]] + 1

    # -- entry points --------------------------------------------------------------------------

    def start(self, chat_id: int, ctx: C, answers: dict[str, Any] | None = None, skip: Sequence[str] = ()) -> FormResult:
        """A new form, perhaps with `answers` given before it began (a photo sent first); the steps
        in `skip` are then not asked (a location shared first), the others still come."""
        state = self.new_state()
        state["answers"] = dict(answers or {})
        if skip:
            state["seeded"] = list(skip)
        return FormResult(state, [self._prompt_message(chat_id, state, ctx)])

    def reprompt(self, chat_id: int, state: dict[str, Any], ctx: C, note: str | None = None) -> list[Action]:
        return [self._prompt_message(chat_id, state, ctx, note=note)]

    def handle(self, event: Event, state: dict[str, Any], ctx: C) -> FormResult:
        if event.is_callback:
            return self._on_callback(event, state, ctx)
        if event.edited:
            return self._on_edit(event, state, ctx)
        result = self._on_message(event, state, ctx)
        if result.state is not None and event.message_id is not None:
            # Which message answered what: an edit of it later replaces that answer.
            answered = state["step"] if result.state.get("answers") != state.get("answers") else None
            result.state = {**result.state, "last": {"message_id": event.message_id, "step": state["step"], "field": answered}}
        return result

    def _on_message(self, event: Event, state: dict[str, Any], ctx: C) -> FormResult:
        t = self._texts(ctx)
        text = (event.text or "").strip()
        step = self._step(state)
        nav = self._text_navigation(text, t)
        if nav == "cancel":
            return self._cancel(event.chat_id, t)
        if nav == "back":
            return self._back(event.chat_id, state, ctx)
        if nav == "skip" and step is not None and step.optional:
            return self._accept(event.chat_id, state, ctx, self._skipped(step, state, ctx))
        if step is None:  # summary: only buttons act here
            return FormResult(state, self.reprompt(event.chat_id, state, ctx, t.gettext("Please use the buttons below: check your report, edit a part, or send it.")))
        try:
            outcome = self._read(event, text, step, state, ctx)
        except Invalid as invalid:
            if event.album:  # one photo of several: the album's answer says what was left out
                state = {**state, "view": _album_view(state["view"], event.album, invalid.message)}
                return FormResult(state, self.reprompt(event.chat_id, state, ctx, _album_note(state["view"])))
            return FormResult(state, self.reprompt(event.chat_id, state, ctx, "⚠️ " + invalid.message))
        if event.album and isinstance(outcome, Stay):
            view = _album_view(state["view"], event.album, None)
            view = {**outcome.view, "album": view["album"]}
            note = "\n".join(filter(None, [outcome.note, _album_note(view)]))
            outcome = Stay(view, note or None)
        return self._apply(event.chat_id, state, ctx, outcome)

    def _on_edit(self, event: Event, state: dict[str, Any], ctx: C) -> FormResult:
        """An edited message: the latest answer is replaced by its new text; an edit of an older
        one (or of a file's caption) is not read, and the person is told where to change it."""
        t = self._texts(ctx)
        last = state.get("last") or {}
        text = (event.text or "").strip()
        if last.get("message_id") != event.message_id or event.files or not text:
            note = t.gettext("✏️ You edited an earlier message. Edits of earlier answers are not read: to change an answer, use ✏️ on the summary at the end (or ⬅️ Back).")
            return FormResult(state, self.reprompt(event.chat_id, state, ctx, note))
        field_name = last.get("field")
        if field_name is None or field_name not in self.index:
            if last.get("step") != state["step"]:
                return FormResult(state, self.reprompt(event.chat_id, state, ctx))
            # The message was not taken as an answer (too short, say): its new text is a new try.
            result = self._on_message(replace(event, edited=False), state, ctx)
            if result.actions and isinstance(result.actions[0], Send) and result.state is not None and result.state["step"] != state["step"]:
                first = result.actions[0]
                result.actions[0] = replace(first, html=t.gettext("✏️ I read your edited message as the answer.") + "\n" + first.html)
            return result
        step = self.steps[self.index[field_name]]
        if step.on_text is None:
            return FormResult(state, self.reprompt(event.chat_id, state, ctx))
        try:
            outcome = step.on_text(text, ctx, state["answers"], {})
        except Invalid as invalid:
            note = "⚠️ " + t.gettext("Your edit of “{label}” was not taken; the earlier answer stays.").format(label=esc(step.label(t))) + "\n" + invalid.message
            return FormResult(state, self.reprompt(event.chat_id, state, ctx, note))
        if not isinstance(outcome, Accept):
            note = t.gettext("Your edit of “{label}” needs a choice: use ✏️ on the summary at the end to change it.").format(label=esc(step.label(t)))
            return FormResult(state, self.reprompt(event.chat_id, state, ctx, note))
        answers = {**state["answers"], **(outcome.also or {}), field_name: outcome.value}
        new_state = {**state, "answers": answers}
        note = "✏️ " + t.gettext("Changed as you edited it — <b>{label}</b>: {value}").format(label=esc(step.label(t)), value=step.show(outcome.value, ctx))
        return FormResult(new_state, self.reprompt(event.chat_id, new_state, ctx, note))

    # -- internals -----------------------------------------------------------------------------

    def _step(self, state: dict[str, Any]) -> Step[C] | None:
        return None if state["step"] == SUMMARY else self.steps[self.index[state["step"]]]

    def _read(self, event: Event, text: str, step: Step[C], state: dict[str, Any], ctx: C) -> Outcome:
        t = self._texts(ctx)
        answers, view = state["answers"], state["view"]
        if event.files:
            if step.on_files is None:
                raise Invalid(self._not_here(kind_label(event.files[0].kind, t), step, t))
            return step.on_files(event.files, ctx, answers, view)
        if event.unsupported:
            raise Invalid(self._not_here(kind_label(event.unsupported, t), step, t))
        if event.location is not None:
            if step.on_location is None:
                raise Invalid(self._not_here(t.gettext("A location"), step, t))
            return step.on_location(event.location, ctx, answers)
        if event.contact is not None:
            if step.on_contact is None:
                raise Invalid(self._not_here(t.gettext("A contact"), step, t))
            return step.on_contact(event.contact, event.user_id, ctx, answers)
        if step.on_text is None:
            raise Invalid(t.gettext("Please choose one of the buttons."))
        if not text:
            raise Invalid(t.gettext("The answer is empty. Please write something."))
        if event.forwarded:  # the step may mark it (a description forwarded from someone else)
            view = {**view, "forwarded": True}
        return step.on_text(text, ctx, answers, view)

    def _skipped(self, step: Step[C], state: dict[str, Any], ctx: C) -> Accept:
        """Skip on a multi-answer step keeps what was already given (a voice note sent as the
        description is evidence too): it means "nothing more"."""
        if step.on_done is not None:
            outcome = step.on_done(ctx, state["answers"], state["view"])
            if isinstance(outcome, Accept):
                return outcome
        return Accept(step.skip_value)

    def _not_here(self, what: str, step: Step[C], t: Texts) -> str:
        """One friendly line: what was sent cannot be used at this step, and what the step takes."""
        return t.gettext("{what} cannot be used at this step. It takes {takes}.").format(what=what, takes=self._takes(step, t))

    def _takes(self, step: Step[C], t: Texts) -> str:
        if step.takes is not None:
            return step.takes(t)
        kinds = []
        if step.on_choice is not None:
            kinds.append(t.gettext("a press of one of the buttons"))
        if step.on_text is not None:
            kinds.append(t.gettext("a text"))
        if step.on_location is not None:
            kinds.append(t.gettext("a location"))
        if step.on_contact is not None:
            kinds.append(t.gettext("your own contact"))
        if step.on_files is not None:
            kinds.append(t.gettext("photos or documents"))
        return t.gettext(" or ").join(kinds)

    def _text_navigation(self, text: str, t: Texts) -> str | None:
        folded = text.casefold().lstrip("/").strip()
        if folded in {"batal", "cancel", t.gettext("✖️ Cancel").casefold()}:
            return "cancel"
        if folded in {"kembali", "back", t.gettext("⬅️ Back").casefold()}:
            return "back"
        if folded in {"lewati", "skip", t.gettext("Skip ➡️").casefold()}:
            return "skip"
        return None

    def _on_callback(self, event: Event, state: dict[str, Any], ctx: C) -> FormResult:
        t = self._texts(ctx)
        chat = event.chat_id
        parts = (event.callback_data or "").split("|", 3)
        current = str(self.step_number(state))
        if len(parts) != 4 or parts[0] != state["nonce"] or parts[1] != current:
            return self._stale(event, state, ctx)
        verb, arg = parts[2], parts[3]
        answer = AnswerCallback(chat, event.callback_id or "")
        step = self._step(state)
        if verb == "x":
            result = self._cancel(chat, t)
        elif verb == "b":
            result = self._back(chat, state, ctx)
        elif verb == "s" and step is not None and step.optional:
            result = self._accept(chat, state, ctx, self._skipped(step, state, ctx), event.message_id)
        elif verb == "v" and step is not None and step.on_choice is not None:
            try:
                outcome = step.on_choice(arg, ctx, state["answers"], state["view"])
            except Invalid as invalid:
                return FormResult(state, [AnswerCallback(chat, event.callback_id or "", _plain(invalid.message), alert=True)])
            result = self._apply(chat, state, ctx, outcome, event.message_id)
        elif verb == "d" and step is not None and step.on_done is not None:
            try:
                outcome = step.on_done(ctx, state["answers"], state["view"])
            except Invalid as invalid:
                return FormResult(state, [AnswerCallback(chat, event.callback_id or "", _plain(invalid.message), alert=True)])
            result = self._apply(chat, state, ctx, outcome, event.message_id)
        elif verb == "e" and step is None and arg in self.index:
            state = _moved_to(state, arg, editing=True)
            result = FormResult(state, [self._prompt_message(chat, state, ctx)])
        elif verb == "ok" and step is None:
            result = FormResult(None, [], submitted=dict(state["answers"]))
            if event.message_id is not None:
                result.actions.append(Edit(chat, event.message_id, self.summary_html(state, ctx)))
        else:
            return self._stale(event, state, ctx)
        result.actions.insert(0, answer)
        return result

    def _stale(self, event: Event, state: dict[str, Any], ctx: C) -> FormResult:
        t = self._texts(ctx)
        actions: list[Action] = [
            AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))
        ]
        actions += self.reprompt(event.chat_id, state, ctx, t.gettext("That button belongs to an earlier question. Here is where you are now:"))
        return FormResult(state, actions)

    def _apply(self, chat: int, state: dict[str, Any], ctx: C, outcome: Outcome, message_id: int | None = None) -> FormResult:
        if isinstance(outcome, Stay):
            state = {**state, "view": outcome.view}
            if message_id is not None:  # the pressed message may open with the last answer's acknowledgement
                prompt = self._prompt_message(chat, state, ctx, note="\n\n".join(filter(None, [state.get(LEAD), outcome.note])))
                if isinstance(prompt.keyboard, InlineKeyboard | None):
                    return FormResult(state, [Edit(chat, message_id, prompt.html, prompt.keyboard)])
            prompt = self._prompt_message(chat, state, ctx, note=outcome.note)
            return FormResult(state, [prompt])
        return self._accept(chat, state, ctx, outcome, message_id)

    def _accept(self, chat: int, state: dict[str, Any], ctx: C, outcome: Accept, message_id: int | None = None) -> FormResult:
        t = self._texts(ctx)
        step = self._step(state)
        assert step is not None
        answers = {**state["answers"], **(outcome.also or {}), step.field: outcome.value}
        ack = f"✅ <b>{esc(step.label(t))}</b>: {step.show(outcome.value, ctx)}"
        if outcome.note:
            ack += "\n" + outcome.note
        if state.get("editing"):
            next_step = SUMMARY
        else:
            position = self.index[step.field] + 1
            # A step answered before the form began (a location shared first) is not asked again.
            while position < len(self.steps) and self.steps[position].field in state.get("seeded", ()):
                position += 1
            next_step = self.steps[position].field if position < len(self.steps) else SUMMARY
        new_state = _moved_to(state, next_step, answers=answers)
        # A reply keyboard stays on the phone until removed, even after a sub-view without one.
        had_reply_keyboard = self._uses_reply_keyboard(state, ctx)
        if message_id is None:
            prompt = self._prompt_message(chat, new_state, ctx, note=ack)
            if outcome.note is None and (not had_reply_keyboard or isinstance(prompt.keyboard, ReplyKeyboard)):
                # A typed answer: its acknowledgement heads the next question, one message for
                # the step (half the messages on a slow phone). The question's message keeps the
                # line when a button on it later turns it into that step's acknowledgement.
                return FormResult({**new_state, LEAD: ack}, [prompt])
            # Two messages: a note (an emergency's numbers) stands on its own, and a reply
            # keyboard that must go takes a message of its own (a message carries one keyboard).
            return FormResult(new_state, [Send(chat, ack, RemoveKeyboard() if had_reply_keyboard else None),
                                       self._prompt_message(chat, new_state, ctx)])
        actions: list[Action] = [Edit(chat, message_id, "\n".join(filter(None, [state.get(LEAD), ack])))]
        if had_reply_keyboard:
            actions.append(Send(chat, t.gettext("Saved."), RemoveKeyboard()))
        actions.append(self._prompt_message(chat, new_state, ctx))
        return FormResult(new_state, actions)

    def _back(self, chat: int, state: dict[str, Any], ctx: C) -> FormResult:
        t = self._texts(ctx)
        if state["step"] == SUMMARY:
            target = self.steps[-1].field
        else:
            position = self.index[state["step"]]
            if position == 0 or state.get("editing"):
                target = SUMMARY if state.get("editing") else state["step"]
            else:
                target = self.steps[position - 1].field
        new_state = _moved_to(state, target)
        note = None if target != state["step"] else t.gettext("This is the first question.")
        prompt = self._prompt_message(chat, new_state, ctx, note=note)
        actions: list[Action] = []
        if self._uses_reply_keyboard(state, ctx) and not isinstance(prompt.keyboard, ReplyKeyboard):
            # A reply keyboard stays on the phone until a message removes it.
            actions.append(Send(chat, t.gettext("⬅️ Back to the previous question."), RemoveKeyboard()))
        return FormResult(new_state, [*actions, prompt])

    def _uses_reply_keyboard(self, state: dict[str, Any], ctx: C) -> bool:
        step = self._step(state)
        return step is not None and bool(step.prompt(ctx, state["answers"], {}).reply)

    def _cancel(self, chat: int, t: Texts) -> FormResult:
        html = t.gettext("Your draft report was cancelled and deleted. Type /lapor to start again.")
        return FormResult(None, [Send(chat, html, RemoveKeyboard())], cancelled=True)

    def _data(self, state: dict[str, Any], verb: str, arg: str = "") -> str:
        data = f"{state['nonce']}|{self.step_number(state)}|{verb}|{arg}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    def progress(self, state: dict[str, Any], t: Texts) -> str:
        if state["step"] == SUMMARY:
            return t.gettext("Final check")
        return t.gettext("Step {n} of {total}").format(n=self.step_number(state), total=len(self.steps))

    def _prompt_message(self, chat: int, state: dict[str, Any], ctx: C, note: str | None = None) -> Send:
        t = self._texts(ctx)
        step = self._step(state)
        header = f"<i>{esc(self.progress(state, t))}</i>"
        if step is None:
            body = self.summary_html(state, ctx)
            html = "\n\n".join(filter(None, [note, header, body]))
            return Send(chat, html, InlineKeyboard(self._summary_buttons(state, t)))
        prompt = step.prompt(ctx, state["answers"], state["view"])
        html = "\n\n".join(filter(None, [note, header, prompt.html]))
        keyboard: Keyboard
        if prompt.reply:
            nav = [ReplyButton(t.gettext("⬅️ Back")), ReplyButton(t.gettext("✖️ Cancel"))]
            reply_rows = [tuple(row) for row in prompt.reply]
            if step.optional:
                reply_rows.append((ReplyButton(t.gettext("Skip ➡️")),))
            reply_rows.append(tuple(nav))
            keyboard = ReplyKeyboard(tuple(reply_rows))
        else:
            inline: list[tuple[Button, ...]] = [
                tuple(Button(o.label, self._data(state, "v", o.value)) for o in row) for row in prompt.options
            ]
            if prompt.done_label:
                inline.append((Button(prompt.done_label, self._data(state, "d")),))
            if step.optional:
                inline.append((Button(t.gettext("Skip ➡️"), self._data(state, "s")),))
            nav_row = [Button(t.gettext("✖️ Cancel"), self._data(state, "x"))]
            if self.index[step.field] > 0 or state.get("editing"):
                nav_row.insert(0, Button(t.gettext("⬅️ Back"), self._data(state, "b")))
            inline.append(tuple(nav_row))
            keyboard = InlineKeyboard(tuple(inline))
        return Send(chat, html, keyboard)

    def summary_html(self, state: dict[str, Any], ctx: C) -> str:
        t = self._texts(ctx)
        lines = ["<b>" + esc(t.gettext("Your report")) + "</b>"]
        for step in self.steps:
            value = state["answers"].get(step.field, step.skip_value)
            lines.append(f"<b>{esc(step.label(t))}:</b> {step.show(value, ctx)}")
        return "\n".join(lines)

    def _summary_buttons(self, state: dict[str, Any], t: Texts) -> tuple[tuple[Button, ...], ...]:
        edits = [
            Button("✏️ " + step.label(t), self._data(state, "e", step.field)) for step in self.steps
        ]
        rows = [tuple(edits[i : i + 2]) for i in range(0, len(edits), 2)]
        rows.append((Button(t.gettext("✅ Send report"), self._data(state, "ok")),))
        rows.append((Button(t.gettext("⬅️ Back"), self._data(state, "b")), Button(t.gettext("✖️ Cancel"), self._data(state, "x"))))
        return tuple(rows)


def _moved_to(state: dict[str, Any], step: str, *, editing: bool = False, **changes: Any) -> dict[str, Any]:
    """The state at another step: the view, and the acknowledgement heading the question's
    message (LEAD), belonged to the step left."""
    kept = {key: value for key, value in state.items() if key != LEAD}
    return {**kept, **changes, "step": step, "view": {}, "editing": editing}


def kind_label(kind: str, t: Texts) -> str:
    """What a message is, as the start of a sentence ("A sticker cannot be used ...")."""
    labels = {
        "photo": t.gettext("A photo"), "document": t.gettext("A file"), "voice": t.gettext("A voice note"),
        "audio": t.gettext("An audio file"), "video": t.gettext("A video"), "video_note": t.gettext("A video message"),
        "sticker": t.gettext("A sticker"), "animation": t.gettext("A GIF"), "poll": t.gettext("A poll"),
        "dice": t.gettext("A dice"), "venue": t.gettext("A place from the map"), "game": t.gettext("A game"),
        "story": t.gettext("A story"),
    }  # fmt: skip
    return labels.get(kind, t.gettext("This kind of message"))


def _album_view(view: dict[str, Any], album: str, refused: str | None) -> dict[str, Any]:
    """The step's view with what an album (several photos sent at once) left out so far."""
    current = view.get("album") or {}
    notes = list(current.get("refused", [])) if current.get("id") == album else []
    if refused is not None and refused not in notes:
        notes.append(refused)
    return {**view, "album": {"id": album, "refused": notes[-5:]}}


def _album_note(view: dict[str, Any]) -> str | None:
    notes = (view.get("album") or {}).get("refused") or []
    return "\n".join("⚠️ " + n for n in notes) or None


def _plain(message: str) -> str:
    """Callback alerts are plain text (no parse mode) and at most 200 characters."""
    text = unescape(re.sub(r"<[^>]+>", "", message))
    return text[:197] + "…" if len(text) > 200 else text
