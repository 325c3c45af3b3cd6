import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tradedesk.availability.v1 import resources_pb2 as _resources_pb2
from tradedesk.availability.v1 import search_pb2 as _search_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_CREATED: _ClassVar[EventType]
    EVENT_TYPE_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_RESERVED: _ClassVar[EventType]
    EVENT_TYPE_RELEASED: _ClassVar[EventType]
    EVENT_TYPE_SOLD: _ClassVar[EventType]
    EVENT_TYPE_EXPIRED: _ClassVar[EventType]
    EVENT_TYPE_CANCELLED: _ClassVar[EventType]
    EVENT_TYPE_VISIBILITY_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_PRICE_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_QUANTITY_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_APPROVED: _ClassVar[EventType]
    EVENT_TYPE_REJECTED: _ClassVar[EventType]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_ADDED: _ClassVar[ChangeKind]
    CHANGE_KIND_MODIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_DELETED: _ClassVar[ChangeKind]

class MatchKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_KIND_UNSPECIFIED: _ClassVar[MatchKind]
    MATCH_KIND_ENTERED: _ClassVar[MatchKind]
    MATCH_KIND_UPDATED: _ClassVar[MatchKind]
    MATCH_KIND_LEFT: _ClassVar[MatchKind]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_CREATED: EventType
EVENT_TYPE_UPDATED: EventType
EVENT_TYPE_RESERVED: EventType
EVENT_TYPE_RELEASED: EventType
EVENT_TYPE_SOLD: EventType
EVENT_TYPE_EXPIRED: EventType
EVENT_TYPE_CANCELLED: EventType
EVENT_TYPE_VISIBILITY_CHANGED: EventType
EVENT_TYPE_PRICE_CHANGED: EventType
EVENT_TYPE_QUANTITY_CHANGED: EventType
EVENT_TYPE_APPROVED: EventType
EVENT_TYPE_REJECTED: EventType
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_ADDED: ChangeKind
CHANGE_KIND_MODIFIED: ChangeKind
CHANGE_KIND_DELETED: ChangeKind
MATCH_KIND_UNSPECIFIED: MatchKind
MATCH_KIND_ENTERED: MatchKind
MATCH_KIND_UPDATED: MatchKind
MATCH_KIND_LEFT: MatchKind

class AvailabilityEvent(_message.Message):
    __slots__ = ("revision", "type", "change", "availability", "changed_fields", "actor", "event_time", "reservation", "types", "previous")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    revision: int
    type: EventType
    change: ChangeKind
    availability: _resources_pb2.Availability
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    event_time: _timestamp_pb2.Timestamp
    reservation: _resources_pb2.Reservation
    types: _containers.RepeatedScalarFieldContainer[EventType]
    previous: _resources_pb2.Availability
    def __init__(self, revision: _Optional[int] = ..., type: _Optional[_Union[EventType, str]] = ..., change: _Optional[_Union[ChangeKind, str]] = ..., availability: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reservation: _Optional[_Union[_resources_pb2.Reservation, _Mapping]] = ..., types: _Optional[_Iterable[_Union[EventType, str]]] = ..., previous: _Optional[_Union[_resources_pb2.Availability, _Mapping]] = ...) -> None: ...

class Bookmark(_message.Message):
    __slots__ = ("reason",)
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[Bookmark.Reason]
        REASON_INITIAL_STATE_END: _ClassVar[Bookmark.Reason]
        REASON_PROGRESS: _ClassVar[Bookmark.Reason]
        REASON_STREAM_END: _ClassVar[Bookmark.Reason]
    REASON_UNSPECIFIED: Bookmark.Reason
    REASON_INITIAL_STATE_END: Bookmark.Reason
    REASON_PROGRESS: Bookmark.Reason
    REASON_STREAM_END: Bookmark.Reason
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: Bookmark.Reason
    def __init__(self, reason: _Optional[_Union[Bookmark.Reason, str]] = ...) -> None: ...

class SearchChange(_message.Message):
    __slots__ = ("kind", "name", "result", "revision", "event_types")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    kind: MatchKind
    name: str
    result: _search_pb2.SearchResult
    revision: int
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    def __init__(self, kind: _Optional[_Union[MatchKind, str]] = ..., name: _Optional[str] = ..., result: _Optional[_Union[_search_pb2.SearchResult, _Mapping]] = ..., revision: _Optional[int] = ..., event_types: _Optional[_Iterable[_Union[EventType, str]]] = ...) -> None: ...
