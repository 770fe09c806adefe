"""Doc: the app's layout and properties, its objects and fields, and expressions."""

from __future__ import annotations

from typing import Any

from qlik_jwt.emulator.engine.errors import NOT_FOUND, EngineError
from qlik_jwt.emulator.engine.formatting import format_number, json_number
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import Api, Handle, Reply, SessionState
from qlik_jwt.errors import describe

__all__ = ["DOC"]

DOC = Api("Doc")

# Handles of objects that do not exist, as the engine gives them (enigma.js turns this
# into its OBJECT_NOT_FOUND error).
_NO_OBJECT = {"qType": None, "qHandle": None}

_LOCALE = {
    "qDecimalSep": ".",
    "qThousandSep": ",",
    "qListSep": ",",
    "qMoneyDecimalSep": ".",
    "qMoneyThousandSep": ",",
    "qMoneyFmt": "$#,##0.00;-$#,##0.00",
    "qTimeFmt": "h:mm:ss TT",
    "qDateFmt": "M/D/YYYY",
    "qTimestampFmt": "M/D/YYYY h:mm:ss[.fff] TT",
    "qFirstWeekDay": 6,
    "qBrokenWeeks": True,
    "qReferenceDay": 0,
    "qFirstMonthOfYear": 1,
    "qCollation": "en-US",
}


@DOC.method("GetAppLayout")
def get_app_layout(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    app = state.document_of(handle).app
    layout = {
        "qTitle": app.name,
        "qFileName": app.id,
        "qLastReloadTime": app.last_reload_time,
        "qModified": False,
        "qHasScript": True,
        "qStateNames": [],
        "qMeta": {"privileges": ["read"], "description": app.description},
        "qLocaleInfo": dict(_LOCALE),
        "qHasData": True,
        "qReadOnly": True,
        "qIsOpenedWithoutData": False,
        "qIsSessionApp": False,
        "qThumbnail": {"qUrl": ""},
        "qUnsupportedFeatures": [],
        "qUsage": "ANALYTICS",
    }
    return Reply({"qLayout": layout})


@DOC.method("GetAppProperties")
def get_app_properties(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    app = state.document_of(handle).app
    properties = {
        "qTitle": app.name,
        "qLastReloadTime": app.last_reload_time,
        "qThumbnail": {"qUrl": ""},
        "qHasSectionAccess": False,
        "description": app.description,
    }
    return Reply({"qProp": properties})


@DOC.method("CreateSessionObject", Param("qProp", dict, required=True))
def create_session_object(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    document = state.document_of(handle)
    object_id = document.create_session_object(args["qProp"])
    properties = document.properties(object_id) or {}
    qtype = properties["qInfo"]["qType"]
    created = state.handle_for("GenericObject", object_id, qtype)
    return Reply({"qReturn": created.interface()})


@DOC.method("GetObject", Param("qId", str, required=True))
def get_object(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    properties = state.document_of(handle).properties(args["qId"])
    if properties is None:
        return Reply({"qReturn": dict(_NO_OBJECT)})
    found = state.handle_for("GenericObject", args["qId"], properties["qInfo"]["qType"])
    return Reply({"qReturn": found.interface()})


@DOC.method("DestroySessionObject", Param("qId", str, required=True))
def destroy_session_object(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    if not state.document_of(handle).destroy_session_object(args["qId"]):
        return Reply({"qSuccess": False})
    closed = state.find("GenericObject", args["qId"])
    return Reply({"qSuccess": True}, close=[closed.number] if closed else [])


@DOC.method("GetAllInfos")
def get_all_infos(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qInfos": state.document_of(handle).infos()})


@DOC.method("GetField", Param("qFieldName", str, required=True), Param("qStateName", str, ""))
def get_field(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    if args["qFieldName"] not in state.document_of(handle).app.fields:
        return Reply({"qReturn": dict(_NO_OBJECT)})
    return Reply({"qReturn": state.handle_for("Field", args["qFieldName"]).interface()})


@DOC.method("GetFieldDescription", Param("qFieldName", str, required=True))
def get_field_description(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    app = state.document_of(handle).app
    field = app.fields.get(args["qFieldName"])
    if field is None:
        raise EngineError(
            NOT_FOUND,
            f"no field {describe(args['qFieldName'])} in app {describe(app.name)}; "
            f"its fields are {', '.join(app.fields)}",
        )
    numbers = [v for v in field.values if isinstance(v, float)]
    description = {
        "qInternalNumber": list(app.fields).index(field.name),
        "qName": field.name,
        "qSrcTables": [app.name],
        "qIsSystem": False,
        "qIsHidden": False,
        "qIsSemantic": False,
        "qDistinctOnly": False,
        "qCardinal": field.cardinal,
        "qTotalCount": len(app.rows),
        "qIsLocked": False,
        "qAlwaysOneSelected": False,
        "qAndMode": False,
        "qIsNumeric": field.numeric and len(numbers) == field.cardinal,
        "qComment": "",
        "qTags": ["$numeric"] if field.numeric else ["$text", "$ascii"],
        "qIsDefinitionOnly": False,
        "qByteSize": 0,
    }
    return Reply({"qReturn": description})


@DOC.method("Evaluate", Param("qExpression", str, required=True))
def evaluate(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    value = state.document_of(handle).evaluate(args["qExpression"])
    return Reply({"qReturn": format_number(value)})


@DOC.method("EvaluateEx", Param("qExpression", str, required=True))
def evaluate_ex(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    value = state.document_of(handle).evaluate(args["qExpression"])
    result = {"qText": format_number(value), "qIsNumeric": value is not None}
    result["qNumber"] = json_number(value) if value is not None else 0
    return Reply({"qValue": result})
