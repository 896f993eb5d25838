"""JSON schemas of WB's current realization-report methods (finance API v1), newer than the spec
file ``../shared/specs/wildberries/13-finances.yaml`` (which still has the switched-off
``GET /api/v5/supplier/reportDetailByPeriod``).

Source: WB's official spec ``13-finances.yaml`` as published in the repository
eslazarev/wildberries-sdk, ``specs/13-finances.yaml`` at commit
1a8039fb193b40e79fec3a88aebf7fd05a9f5ab7 (components ``SalesReportListReq``,
``SalesReportListRes``, ``SalesReportsDetailedReq``, ``FinancialReportsDetailedReportIdReq``,
``SalesReportsDetailedRes``, ``response400SalesReports``, ``response404SalesReports``), written
here by hand for the three operations the client calls:

* ``POST /api/finance/v1/sales-reports/list``
* ``POST /api/finance/v1/sales-reports/detailed``
* ``POST /api/finance/v1/sales-reports/detailed/{reportId}``

Stricter than the spec on purpose (as for Ozon's newer methods): the request objects take no
property the spec does not name (``additionalProperties: false``), and ``dateFrom``/``dateTo``
must have one of the forms the spec lists (a date, or a date and a time without an offset:
"время — в часовом поясе Москва").  The answers' ``required`` lists are the spec's.
"""

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
#: money: the v1 methods give every amount as a string of a decimal number
_MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"}
#: "Можно передать дату или дату со временем ... с точностью до секунд или миллисекунд"
_PERIOD_BOUND = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?)?$"}
_PERIOD = {"type": "string", "enum": ["daily", "weekly"]}
_FIELDS = {"type": "array", "items": _STR}

#: SalesReportListReq
LIST_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["dateFrom", "dateTo"],
    "properties": {"dateFrom": _PERIOD_BOUND, "dateTo": _PERIOD_BOUND,
                   "limit": {"type": "integer", "maximum": 1000}, "offset": _INT, "period": _PERIOD},
}
_LIST_MONEY = ("retailAmountSum", "forPaySum", "deliveryServiceSum", "paidStorageSum", "paidAcceptanceSum",
               "deductionSum", "penaltySum", "additionalPaymentSum", "cashbackAmountSum", "cashbackDiscountSum",
               "cashbackCommissionChangeSum", "paymentSchedule", "bankPaymentSum")
#: SalesReportListRes (an array of them is the answer)
LIST_ITEM = {
    "type": "object",
    "required": ["reportId", "sellerFinanceName", "dateFrom", "dateTo", "createDate", "currency", "reportType",
                 *_LIST_MONEY[:1], "forPaySum", "avgSalePercent", *_LIST_MONEY[2:]],
    "properties": {
        "reportId": _INT, "sellerFinanceName": _STR, "dateFrom": _DATE, "dateTo": _DATE, "createDate": _DATE,
        "currency": _STR, "reportType": {"type": "integer", "enum": [1, 2]}, "avgSalePercent": _NUM,
        **{key: _MONEY for key in _LIST_MONEY},
    },
}
LIST_RESPONSE = {"type": "array", "items": LIST_ITEM}

#: SalesReportsDetailedReq
DETAILED_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["dateFrom", "dateTo"],
    "properties": {"dateFrom": _PERIOD_BOUND, "dateTo": _PERIOD_BOUND,
                   "limit": {"type": "integer", "maximum": 100000}, "rrdId": _INT, "period": _PERIOD,
                   "fields": _FIELDS},
}
#: FinancialReportsDetailedReportIdReq
DETAILED_BY_ID_REQUEST = {
    "type": "object", "additionalProperties": False,
    "properties": {"limit": {"type": "integer", "maximum": 100000}, "rrdId": _INT, "fields": _FIELDS},
}

#: SalesReportsDetailedRes: property -> schema, in the spec's order
ROW_PROPERTIES = {
    "reportId": _INT, "dateFrom": _DATE, "dateTo": _DATE, "createDate": _DATE, "currency": _STR,
    "reportType": {"type": "integer", "enum": [1, 2]}, "rrdId": _INT, "giId": _INT, "dlvPrc": _NUM,
    "fixTariffDateFrom": _DATE, "fixTariffDateTo": _DATE, "subjectName": _STR, "nmId": _INT, "brandName": _STR,
    "vendorCode": _STR, "title": _STR, "techSize": _STR, "sku": _STR, "docTypeName": _STR, "quantity": _INT,
    "retailPrice": _MONEY, "retailAmount": _MONEY, "salePercent": _INT, "commissionPercent": _NUM,
    "officeName": _STR, "sellerOperName": _STR, "orderDt": _DATETIME, "saleDt": _DATETIME, "rrDate": _DATE,
    "shkId": _INT, "retailPriceWithDisc": _MONEY, "deliveryAmount": _INT, "returnAmount": _INT,
    "deliveryService": _MONEY, "giBoxTypeName": _STR, "productDiscountForReport": _NUM, "sellerPromo": _NUM,
    "spp": _NUM, "kvwBase": _NUM, "kvw": _NUM, "supRatingUp": _NUM, "isKgvpV2": _NUM,
    "ppvzSalesCommission": _MONEY, "forPay": _MONEY, "ppvzReward": _MONEY, "acquiringFee": _MONEY,
    "acquiringPercent": _NUM, "paymentProcessing": _STR, "acquiringBank": _STR, "vw": _MONEY, "vwNds": _MONEY,
    "ppvzOfficeName": _STR, "ppvzOfficeId": _INT, "ppvzSupplierName": _STR, "ppvzSupplierInn": _STR,
    "declarationNumber": _STR, "bonusTypeName": _STR, "stickerId": _STR, "country": _STR, "srvDbs": _BOOL,
    "penalty": _MONEY, "additionalPayment": _MONEY, "rebillLogisticCost": _MONEY, "rebillLogisticOrg": _STR,
    "paidStorage": _MONEY, "deduction": _MONEY, "paidAcceptance": _MONEY, "orderId": _INT, "kiz": _STR,
    "isB2b": _BOOL, "trbxId": _STR, "installmentCofinancingAmount": _MONEY, "wibesDiscountPercent": _NUM,
    "cashbackAmount": _MONEY, "cashbackDiscount": _MONEY, "cashbackCommissionChange": _MONEY,
    "paymentSchedule": _MONEY, "deliveryMethod": _STR, "sellerPromoId": _INT, "sellerPromoDiscount": _NUM,
    "loyaltyId": _INT, "loyaltyDiscount": _NUM, "uuidPromocode": _STR, "salePricePromocodeDiscountPrc": _NUM,
    "articleSubstitution": _STR, "salePriceAffiliatedDiscountPrc": _NUM, "agencyVat": _NUM,
    "salePriceWholesaleDiscountPrc": _NUM, "b2bCustomerTin": _STR, "paidWithSocialCertificate": _BOOL,
    "warehouseLogisticsCoeff": _NUM, "orderUid": _STR, "srid": _STR,
}
#: the spec's required list: every property but these
_OPTIONAL = {"bonusTypeName", "rebillLogisticOrg", "kiz", "agencyVat"}
ROW = {"type": "object", "required": [k for k in ROW_PROPERTIES if k not in _OPTIONAL],
       "properties": ROW_PROPERTIES}
DETAILED_RESPONSE = {"type": "array", "items": ROW}

#: path template -> (request schema, answer schema)
SCHEMAS = {
    "/api/finance/v1/sales-reports/list": (LIST_REQUEST, LIST_RESPONSE),
    "/api/finance/v1/sales-reports/detailed": (DETAILED_REQUEST, DETAILED_RESPONSE),
    "/api/finance/v1/sales-reports/detailed/{reportId}": (DETAILED_BY_ID_REQUEST, DETAILED_RESPONSE),
}
