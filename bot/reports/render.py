"""The files an outbox row names by their spec (`handlers.core.actions.SendRendered`), made when
the dispatcher sends the row: a chart drawn in a worker thread, a report workbook written from the
database as it is then. A spec that cannot be made raises ValueError (the row fails for good);
anything else (the database away for a moment) is retried by the dispatcher."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import date, datetime, timezone
from typing import Any

from bot.reports import charts
from bot.reports.build import ReportRequest, write_xlsx
from bot.telegram import Upload
from cases.figures import Period
from handlers.core.context import HandlerConfig
from handlers.staff.figures_view import report_name
from storage import personal_data
from storage.db import Database


def request_of(spec: dict[str, Any]) -> ReportRequest:
    try:
        period = Period(date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"]))
        as_of = datetime.fromisoformat(spec["as_of"])
        language = str(spec.get("language") or "id")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a report spec: {exc}") from None
    agency = spec.get("agency")
    return ReportRequest(period, str(agency) if agency else None, language, as_of)


class Renderer:
    def __init__(self, db: Database, config: HandlerConfig, policy: Any) -> None:
        self.db, self.config, self.policy = db, config, policy

    async def __call__(self, spec: dict[str, Any]) -> Upload:
        if not isinstance(spec, dict):
            raise ValueError("a render spec is a JSON object")
        if "chart" in spec:
            chart = spec["chart"]
            content = await asyncio.to_thread(charts.render, chart)
            return Upload(content, charts.filename(chart))
        if "report" in spec:
            request = request_of(spec["report"])
            buffer = io.BytesIO()
            await write_xlsx(self.db, request, self.policy, self.config.topics, buffer)
            return Upload(buffer.getvalue(), report_name(request.period, request.agency))
        if "personal_data" in spec:
            return await self._personal_data(spec["personal_data"])
        raise ValueError(f"nothing to render in {sorted(spec)}")

    async def _personal_data(self, spec: object) -> Upload:
        """A citizen's copy of their data (/dataku), read as the database is when it is sent: the
        outbox row names the person, it holds no copy of the data."""
        try:
            user_id = int(spec["user"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            raise ValueError("not a personal data spec") from None
        now = datetime.now(timezone.utc)
        async with self.db.read() as session:
            data = await personal_data.export(session, user_id, now)
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return Upload(content, f"data-saya-kanal-aduan-{now:%Y-%m-%d}.json")
