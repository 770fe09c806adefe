"""Frame boundaries read from websocket headers only, checked against frames the websockets
library writes (client frames masked, server frames not)."""

from __future__ import annotations

import pytest
from websockets.frames import Close, Frame, Opcode
from websockets.streams import StreamReader

from qlik_jwt.web.proxy.frames import FrameBoundaries, close_frame


def _frame(
    payload: bytes, *, mask: bool, opcode: Opcode = Opcode.BINARY, fin: bool = True
) -> bytes:
    return Frame(opcode, payload, fin=fin).serialize(mask=mask)


def _read(data: bytes, *, mask: bool) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=mask)
    try:
        next(parser)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
@pytest.mark.parametrize("mask", [False, True])
def test_boundaries_of_every_length_encoding_fed_byte_by_byte(size: int, mask: bool) -> None:
    first = _frame(b"x" * size, mask=mask)
    second = _frame(b"y", mask=mask, opcode=Opcode.TEXT)
    frames = FrameBoundaries()
    ends = []
    stream = first + second
    for at in range(len(stream)):
        assert frames.feed(stream[at : at + 1]) == 1
        if frames.at_boundary:
            ends.append(at + 1)
    assert ends == [len(first), len(stream)]
    assert not frames.closed


def test_stop_at_boundary_takes_the_current_frame_only() -> None:
    first = _frame(b"a" * 300, mask=True)
    second = _frame(b"b" * 10, mask=True)
    frames = FrameBoundaries()
    assert frames.feed(first[:100]) == 100 and not frames.at_boundary
    taken = frames.feed(first[100:] + second, stop_at_boundary=True)
    assert taken == len(first) - 100 and frames.at_boundary
    assert frames.feed(second) == len(second) and frames.at_boundary


def test_a_close_frame_is_noticed_even_between_fragments() -> None:
    frames = FrameBoundaries()
    stream = _frame(b"part", mask=False, opcode=Opcode.TEXT, fin=False) + _frame(
        Close(1000, "bye").serialize(), mask=False, opcode=Opcode.CLOSE
    )
    frames.feed(stream)
    assert frames.closed and frames.at_boundary


@pytest.mark.parametrize("masked", [False, True])
def test_close_frames_are_valid_for_their_direction(masked: bool) -> None:
    frame = _read(close_frame(4401, "signed-out", masked=masked), mask=masked)
    assert frame.opcode is Opcode.CLOSE
    assert Close.parse(frame.data) == Close(4401, "signed-out")


def test_a_long_reason_is_cut_to_fit_a_control_frame() -> None:
    frame = _read(close_frame(1000, "é" * 200, masked=True), mask=True)
    close = Close.parse(frame.data)
    assert len(frame.data) <= 125 and set(close.reason) == {"é"}
