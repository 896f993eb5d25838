"""Wildberries prices (:class:`WildberriesPrices`): the upload task and its result, and the
commissions the guard needs.

Calls (prices-and-discounts API, ``discounts-prices-api``; 10 requests in 6 seconds, bursts of 5,
for all its methods together: :attr:`WildberriesPrices.prices_limiter`):

* ``POST /api/v2/upload/task`` ``{"data": [{nmID, price, discount}]}``: at most 1 000 cards a
  task; the price is the price *before* the discount, in whole roubles, the discount a whole
  percent.  WB answers the task's ``id``; a request whose every card is wrong is refused with
  400 (``All item Nos. are specified incorrectly…``), which rejects the whole batch.
* ``GET /api/v2/history/tasks?uploadID=`` reads the task back: status 3 (every card applied), 5
  (some cards have errors), 6 (every card has errors), 4 (cancelled); while WB processes it the
  task is not there yet (``data`` empty), and is polled again (injected ``sleep``).
* ``GET /api/v2/history/goods/task?uploadID=&limit=&offset=`` gives each card's status (2 applied,
  3 error) and ``errorText``.

The commissions (``GET /api/v1/tariffs/commission``, common API, 1 request a minute: one call
for every subject) are WB's ``kgvpMarketplace`` (FBS) percent by subject; each card's subject
is read from the cards list (content API).
"""
import time

from ..pricing import ACCEPTED, PENDING, REJECTED, PriceResult, Tariff, chunks, dec
from ..transport import ApiError, RateLimiter

#: task statuses (history/tasks)
TASK_DONE, TASK_CANCELLED, TASK_PARTIAL, TASK_FAILED = 3, 4, 5, 6
#: card statuses (history/goods/task)
GOOD_APPLIED, GOOD_ERROR = 2, 3


class WildberriesPrices:
    """Prices and commissions: a mixin of :class:`~.WildberriesAdapter`."""

    #: cards a task (at most 1 000)
    price_batch_size = 1000
    #: cards a page of the task's detail (at most 1 000)
    price_detail_page = 1000
    #: how often, and how far apart, a task is read back before it is left PENDING
    task_polls = 5
    task_poll_delay = 2.0

    @property
    def prices_limiter(self):
        limiter = getattr(self, "_prices_limiter", None)
        if limiter is None:
            # documented: 10 requests in 6 s, bursts of 5; any 6 s then hold at most
            # 5 + 6 x 0.8 = 9.8 requests
            limiter = self._prices_limiter = RateLimiter(rate=0.8, burst=5)
        return limiter

    def _prices_call(self, method, path, params=None, json_body=None):
        self.prices_limiter.acquire()
        return self._call("prices", method, path, params=params, json_body=json_body)

    def export_prices(self, updates, sleep=time.sleep):
        """Send ``updates`` (``PriceUpdate``: key = nmID, price = before the discount, whole
        roubles; discount_percent) as upload tasks and read each back.  Returns a
        ``PriceResult`` per update (PENDING with the task's id when WB has not processed it)."""
        results = []
        for batch in chunks(updates, self.price_batch_size):
            body = {"data": [{"nmID": int(u.key), "price": int(u.price), "discount": int(u.discount_percent)}
                             for u in batch]}
            try:
                answer = self._prices_call("POST", "/api/v2/upload/task", json_body=body)
            except ApiError as exc:
                if exc.status == 400:
                    text = _error_text(exc.message)
                    results += [PriceResult(u.key, REJECTED, text) for u in batch]
                    continue
                raise
            data = answer.get("data") if isinstance(answer, dict) else None
            task = data.get("id") if isinstance(data, dict) else None
            if isinstance(task, bool) or not isinstance(task, int):
                raise self._shape_error("/api/v2/upload/task", "no task id")
            results += self.read_price_task(task, [u.key for u in batch], sleep=sleep)
        return results

    def read_price_task(self, task, keys, sleep=time.sleep):
        """The result of upload task ``task`` for the cards ``keys`` (nmIDs as text)."""
        status = None
        for attempt in range(self.task_polls):
            answer = self._prices_call("GET", "/api/v2/history/tasks", params={"uploadID": task})
            data = answer.get("data") if isinstance(answer, dict) else None
            status = data.get("status") if isinstance(data, dict) else None
            if isinstance(status, int) and status in (TASK_DONE, TASK_CANCELLED, TASK_PARTIAL, TASK_FAILED):
                break
            status = None
            if attempt + 1 < self.task_polls:
                sleep(self.task_poll_delay)
        if status is None:
            return [PriceResult(k, PENDING, "Wildberries is processing the upload", str(task)) for k in keys]
        if status == TASK_DONE:
            return [PriceResult(k, ACCEPTED, task_ref=str(task)) for k in keys]
        if status == TASK_CANCELLED:
            return [PriceResult(k, REJECTED, "Wildberries cancelled the upload", str(task)) for k in keys]
        goods = {}
        offset = 0
        for _ in range(self.max_pages):
            answer = self._prices_call("GET", "/api/v2/history/goods/task", params={
                "uploadID": task, "limit": self.price_detail_page, "offset": offset})
            data = answer.get("data") if isinstance(answer, dict) else None
            rows = data.get("historyGoods") if isinstance(data, dict) else None
            if not isinstance(rows, list):
                break
            for row in rows:
                if isinstance(row, dict) and isinstance(row.get("nmID"), int) and not isinstance(row["nmID"], bool):
                    goods[str(row["nmID"])] = row
            if len(rows) < self.price_detail_page:
                break
            offset += len(rows)
        results = []
        for key in keys:
            row = goods.get(key)
            if row is None:
                state, text = (REJECTED, "Wildberries gave no result for this card") if status == TASK_FAILED \
                    else (ACCEPTED, "")
            elif row.get("status") == GOOD_APPLIED and not row.get("errorText"):
                state, text = ACCEPTED, ""
            else:
                state, text = REJECTED, str(row.get("errorText") or "error")[:500]
            results.append(PriceResult(key, state, text, str(task)))
        return results

    def fetch_commissions(self):
        """{subjectID: WB's FBS commission percent (``kgvpMarketplace``)}: one call for every
        subject; WB allows one a minute, so the caller keeps the answer a while."""
        answer = self._call("common", "GET", "/api/v1/tariffs/commission", params={"locale": "ru"})
        report = answer.get("report") if isinstance(answer, dict) else None
        percents = {}
        for row in report if isinstance(report, list) else ():
            if not isinstance(row, dict):
                continue
            subject, percent = row.get("subjectID"), row.get("kgvpMarketplace")
            if isinstance(subject, int) and isinstance(percent, (int, float)) and not isinstance(percent, bool):
                if 0 <= percent < 100:
                    percents[subject] = dec(percent)
        return percents

    def fetch_tariffs(self, keys, commissions=None):
        """{nmID: Tariff} of the cards ``keys``: WB's FBS commission of each card's subject
        (``commissions``: as :meth:`fetch_commissions` gives them, read when not given).  A card
        whose subject has no commission is left out."""
        wanted = {str(k) for k in keys}
        subjects = self._card_subjects(wanted)
        if not subjects:
            return {}
        percents = self.fetch_commissions() if commissions is None else commissions
        return {nm: Tariff(percents[subject], dec(0), "marketplace")
                for nm, subject in subjects.items() if subject in percents}

    def _card_subjects(self, wanted):
        """{nmID: subjectID} of the cards ``wanted``, from the cards list."""
        path = "/content/v2/get/cards/list"
        result = {}
        cursor = {"limit": self.catalog_page_size}
        for _ in range(self.max_pages):
            self.content_limiter.acquire()
            answer = self._call("content", "POST", path, json_body={"settings": {
                "sort": {"ascending": True}, "cursor": cursor, "filter": {"withPhoto": -1}}})
            cards = answer.get("cards") if isinstance(answer, dict) else None
            if not isinstance(cards, list):
                raise self._shape_error(path, "no list of cards")
            for card in cards:
                if not isinstance(card, dict) or not isinstance(card.get("subjectID"), int):
                    continue
                if str(card.get("nmID")) in wanted:
                    result[str(card["nmID"])] = card["subjectID"]
            after = answer.get("cursor") if isinstance(answer.get("cursor"), dict) else {}
            if len(cards) < self.catalog_page_size or wanted <= set(result):
                break
            cursor = {"limit": self.catalog_page_size, "updatedAt": after.get("updatedAt"), "nmID": after.get("nmID")}
        return result


def _error_text(message):
    """WB's ``errorText`` out of an ApiError's message, else the message."""
    import json

    _, _, body = message.partition(": ")
    try:
        data = json.loads(body.rsplit(" (after", 1)[0])
    except ValueError:
        return message[:500]
    return str(data.get("errorText") or message)[:500] if isinstance(data, dict) else message[:500]
