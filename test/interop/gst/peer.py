#!/usr/bin/python3
"""A GStreamer webrtcbin peer for tsrtc's interop tests, driven over stdin/stdout with one JSON object a line.

Run by test/interop/gstreamer.ts as `/usr/bin/python3 peer.py '<config JSON>'` (Debian's Python: it has gi).

Config: {"role": "offer" | "answer", "bundle": "max-bundle" | "max-compat" | "balanced" | "none" | "default",
         "send": [{"codec": "VP8" | "VP9" | "H264" | "OPUS" | "PCMU"}],   streams GStreamer sends
         "recv": [{"codec": ...}],    recvonly transceivers GStreamer adds before its offer
         "channels": [{"label": ..., "ordered": bool, "maxRetransmits": n, "maxPacketLifeTime": ms}]}

Node -> Python: {"type": "offer" | "answer", "sdp": ...}; {"candidate": "candidate:...", "sdpMLineIndex": n};
    {"send": {"label": ..., "text": "..."}} or {"send": {"label": ..., "binary": base64}}; {"close": label};
    {"quit": true}.
Python -> Node: {"type": "offer" | "answer", "sdp": ...}; {"candidate": ..., "sdpMLineIndex": n};
    {"event": "channel" | "open" | "close", "label": ..., ...}; {"event": "message", "label", "text", "length",
    "sha256"}; {"event": "track", "media", "encoding"}; {"event": "decoder", "name"};
    {"event": "video", "width", "height", "quadrants": [[y, u, v] x 4]}; {"event": "audio", "frequency", "peak"};
    {"event": "state", "connection" | "ice": ...}; {"event": "error", "message"}; {"event": "ready"}.

Media GStreamer sends: four solid-colour quadrants (red, green, blue, white; 320x240, 30 fps) drawn by a
compositor of videotestsrc pattern=solid-color, and a 1 kHz sine from audiotestsrc. What it receives is decoded
(decodebin) and measured here: the mean Y, U, V at the centre of each quadrant of I420 frames, and the audio's
frequency by zero crossings, reported a few times a second.
"""

import base64
import ctypes
import hashlib
import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstVideo, GstWebRTC, Nice  # noqa: E402

Gst.init(None)

_out_lock = threading.Lock()


def emit(message):
    with _out_lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


# Payload types as browsers number them, so a bundle of several codecs never collides.
PAYLOAD_TYPES = {"VP8": 96, "VP9": 98, "H264": 102, "OPUS": 111, "PCMU": 0}

QUADRANT_SOURCE = (
    "compositor name=mix{n} background=black "
    "sink_0::xpos=0 sink_0::ypos=0 sink_1::xpos=160 sink_1::ypos=0 "
    "sink_2::xpos=0 sink_2::ypos=120 sink_3::xpos=160 sink_3::ypos=120 "
    "! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! video/x-raw,format=I420 "
    "! queue ! {encoder} "
    "videotestsrc is-live=true pattern=solid-color foreground-color=0xffff0000 "
    "! video/x-raw,width=160,height=120,framerate=30/1 ! mix{n}.sink_0 "
    "videotestsrc is-live=true pattern=solid-color foreground-color=0xff00ff00 "
    "! video/x-raw,width=160,height=120,framerate=30/1 ! mix{n}.sink_1 "
    "videotestsrc is-live=true pattern=solid-color foreground-color=0xff0000ff "
    "! video/x-raw,width=160,height=120,framerate=30/1 ! mix{n}.sink_2 "
    "videotestsrc is-live=true pattern=solid-color foreground-color=0xffffffff "
    "! video/x-raw,width=160,height=120,framerate=30/1 ! mix{n}.sink_3 "
)

ENCODERS = {
    "VP8": "vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=500000 "
    "! rtpvp8pay picture-id-mode=15-bit mtu=1200",
    "VP9": "vp9enc deadline=1 cpu-used=8 keyframe-max-dist=30 target-bitrate=500000 "
    "! rtpvp9pay picture-id-mode=15-bit mtu=1200",
    # openh264enc (Debian's plugins-bad) is Constrained Baseline: profile-level-id 42c00d.
    "H264": "openh264enc gop-size=30 bitrate=500000 ! h264parse "
    "! rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200",
    "OPUS": "opusenc bitrate=64000 ! rtpopuspay",
    "PCMU": "mulawenc ! rtppcmupay min-ptime=20000000 max-ptime=20000000",
}
CLOCK_RATES = {"VP8": 90000, "VP9": 90000, "H264": 90000, "OPUS": 48000, "PCMU": 8000}
VIDEO = {"VP8", "VP9", "H264"}


def rtp_caps(codec):
    media = "video" if codec in VIDEO else "audio"
    caps = (
        f"application/x-rtp,media={media},encoding-name={codec},payload={PAYLOAD_TYPES[codec]},"
        f"clock-rate={CLOCK_RATES[codec]}"
    )
    if codec == "OPUS":
        caps += ",encoding-params=(string)2"
    return caps


def receive_caps(codec):
    """The codec a recvonly transceiver offers; for H.264 the fmtp browsers offer first (without one an H.264
    m-line means packetization-mode 0)."""
    caps = rtp_caps(codec)
    if codec == "H264":
        caps += ",packetization-mode=(string)1,profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1"
    return caps


def sender_description(codec, n):
    payloader = f"{ENCODERS[codec]} pt={PAYLOAD_TYPES[codec]} ! {rtp_caps(codec)} ! webrtc."
    if codec in VIDEO:
        return QUADRANT_SOURCE.format(n=n, encoder=payloader)
    rate = 8000 if codec == "PCMU" else 48000
    return (
        f"audiotestsrc is-live=true wave=sine freq=1000 volume=0.3 samplesperbuffer={rate // 50} "
        "! audioconvert ! audioresample "
        f"! audio/x-raw,rate={rate},channels=1 ! queue ! {payloader} "
    )


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_object_ref.argtypes = [ctypes.c_void_p]
_gobject.g_object_ref.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def keep_alive(obj):
    """webrtcbin 1.22 keeps its GstWebRTCNice with the floating reference it was created with: the first Python
    wrapper sinks that reference and frees the ICE agent when it goes (webrtcbin then crashes). Give the
    reference back. (pygobject's own obj.ref() is a no-op.)"""
    _gobject.g_object_ref(ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None))


class Measure:
    """Decodes one incoming stream and reports what it shows or sounds like."""

    def __init__(self, peer, pad):
        self.peer = peer
        self.video_frames = 0
        self.audio = []
        self.audio_rate = 48000
        caps = pad.get_current_caps().get_structure(0)
        self.media = caps.get_string("media")
        emit({"event": "track", "media": self.media, "encoding": caps.get_string("encoding-name")})
        decode = Gst.ElementFactory.make("decodebin")
        decode.connect("pad-added", self.on_decoded)
        decode.connect("element-added", self.on_element)
        peer.pipe.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def on_element(self, _bin, element):
        factory = element.get_factory()
        if factory and factory.list_is_type(Gst.ELEMENT_FACTORY_TYPE_DECODER):
            emit({"event": "decoder", "name": factory.get_name()})

    def on_decoded(self, _decode, pad):
        if pad.get_current_caps().get_structure(0).get_name().startswith("video"):
            chain = "queue ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink emit-signals=true sync=false"
        else:
            chain = (
                "queue ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=48000 "
                "! appsink name=sink emit-signals=true sync=false"
            )
        sink_bin = Gst.parse_bin_from_description(chain, True)
        self.peer.pipe.add(sink_bin)
        sink_bin.get_by_name("sink").connect("new-sample", self.on_sample)
        sink_bin.sync_state_with_parent()
        pad.link(sink_bin.get_static_pad("sink"))

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        caps = sample.get_caps()
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return Gst.FlowReturn.OK
        try:
            if caps.get_structure(0).get_name().startswith("video"):
                self.video_frames += 1
                if self.video_frames % 5 == 0:
                    self.report_video(caps, bytes(info.data))
            else:
                self.audio.append(bytes(info.data))
                if sum(len(b) for b in self.audio) >= 48000:  # half a second of s16 at 48 kHz
                    self.report_audio(b"".join(self.audio))
                    self.audio = []
        finally:
            buf.unmap(info)
        return Gst.FlowReturn.OK

    def report_video(self, caps, data):
        vinfo = GstVideo.VideoInfo.new_from_caps(caps)
        w, h = vinfo.width, vinfo.height
        quadrants = []
        for q in range(4):
            cx = (q % 2) * (w // 2) + w // 4
            cy = (q // 2) * (h // 2) + h // 4
            sums = [0, 0, 0]
            n = 0
            for dy in range(-4, 4):
                for dx in range(-4, 4):
                    x, y = cx + dx, cy + dy
                    sums[0] += data[vinfo.offset[0] + y * vinfo.stride[0] + x]
                    sums[1] += data[vinfo.offset[1] + (y >> 1) * vinfo.stride[1] + (x >> 1)]
                    sums[2] += data[vinfo.offset[2] + (y >> 1) * vinfo.stride[2] + (x >> 1)]
                    n += 1
            quadrants.append([round(s / n, 1) for s in sums])
        emit({"event": "video", "width": w, "height": h, "frames": self.video_frames, "quadrants": quadrants})

    def report_audio(self, pcm):
        samples = memoryview(pcm).cast("h")
        crossings = 0
        prev = 0
        for s in samples:
            if (prev < 0) != (s < 0):
                crossings += 1
            prev = s
        peak = max(abs(min(samples)), max(samples))
        emit({"event": "audio", "frequency": crossings / 2 * 48000 / len(samples), "peak": peak})


class Peer:
    def __init__(self, config):
        self.config = config
        self.channels = {}
        self.open_labels = set()
        self.measures = []
        bundle = config.get("bundle", "max-bundle")
        # "default" leaves webrtcbin's own bundle-policy (none in 1.22: no BUNDLE group, a transport per m-line).
        description = "webrtcbin name=webrtc " + ("" if bundle == "default" else f"bundle-policy={bundle} ")
        for n, s in enumerate(config.get("send", [])):
            description += sender_description(s["codec"], n)
        parsed = Gst.parse_launch(description)
        if isinstance(parsed, Gst.Pipeline):
            self.pipe = parsed
        else:  # a description of one element parses to that element
            self.pipe = Gst.Pipeline.new()
            self.pipe.add(parsed)
        self.webrtc = self.pipe.get_by_name("webrtc")
        self.loopback_only()
        self.webrtc.connect("on-ice-candidate", self.on_ice_candidate)
        self.webrtc.connect("on-data-channel", lambda _w, ch: self.adopt(ch, remote=True))
        self.webrtc.connect("pad-added", self.on_pad)
        self.webrtc.connect("notify::connection-state", self.on_state)
        self.webrtc.connect("notify::ice-connection-state", self.on_state)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        for r in config.get("recv", []):
            self.webrtc.emit(
                "add-transceiver",
                GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                Gst.Caps.from_string(receive_caps(r["codec"])),
            )

    def loopback_only(self):
        """libnice gathers no loopback address by itself: name 127.0.0.1 as the only local address."""
        ice = self.webrtc.get_property("ice-agent")
        keep_alive(ice)
        address = Nice.Address.new()
        address.set_from_string("127.0.0.1")
        ice.get_property("agent").add_local_address(address)

    def start(self):
        self.pipe.set_state(Gst.State.PLAYING)
        for c in self.config.get("channels", []):
            options = Gst.Structure.new_empty("application/data-channel")
            options.set_value("ordered", c.get("ordered", True))
            if "maxRetransmits" in c:
                options.set_value("max-retransmits", c["maxRetransmits"])
            if "maxPacketLifeTime" in c:
                options.set_value("max-packet-lifetime", c["maxPacketLifeTime"])
            channel = self.webrtc.emit("create-data-channel", c["label"], options)
            if channel is None:
                emit({"event": "error", "message": f"create-data-channel {c['label']} failed"})
            else:
                self.adopt(channel, remote=False)
        if self.config.get("role") == "offer":
            self.when_caps_fixed(
                lambda: self.webrtc.emit(
                    "create-offer", None, Gst.Promise.new_with_change_func(self.on_created, "offer")
                )
            )
        emit({"event": "ready"})
        # Commands only once webrtcbin is playing (a description set before is refused: "webrtcbin is closed").
        threading.Thread(target=read_commands, args=(self,), daemon=True).start()

    # --- signaling

    def when_caps_fixed(self, then, waited_ms=0):
        """Run `then` once every stream we send has negotiated caps. webrtcbin writes a sending m-line from its
        sink pad's caps: before the payloader has seen the encoder's output they lack the fmtp (an H.264 offer
        would then have no packetization-mode and profile-level-id, meaning mode 0)."""
        if any(pad.get_current_caps() is None for pad in self.webrtc.sinkpads):
            if waited_ms < 10000:
                GLib.timeout_add(20, lambda: self.when_caps_fixed(then, waited_ms + 20))
                return False
            emit({"event": "error", "message": "a sending stream negotiated no caps in 10 s"})
        then()
        return False

    def on_created(self, promise, kind):
        promise.wait()
        reply = promise.get_reply()  # keep the reply alive while its description is in use
        description = reply.get_value(kind)
        if description is None:
            emit({"event": "error", "message": f"create-{kind}: {reply.to_string()}"})
            return
        text = description.sdp.as_text()
        self.webrtc.emit("set-local-description", description, Gst.Promise.new())
        emit({"type": kind, "sdp": text})

    def set_remote(self, kind, sdp):
        ok, message = GstSdp.SDPMessage.new_from_text(sdp)
        if ok != GstSdp.SDPResult.OK:
            emit({"event": "error", "message": "unparsable SDP"})
            return
        sdp_type = GstWebRTC.WebRTCSDPType.OFFER if kind == "offer" else GstWebRTC.WebRTCSDPType.ANSWER
        description = GstWebRTC.WebRTCSessionDescription.new(sdp_type, message)

        def applied(promise, _data):
            promise.wait()
            reply = promise.get_reply()
            if reply is not None and reply.has_field("error"):
                emit({"event": "error", "message": str(reply.get_value("error"))})
                return
            if kind == "offer":
                self.when_caps_fixed(
                    lambda: self.webrtc.emit(
                        "create-answer", None, Gst.Promise.new_with_change_func(self.on_created, "answer")
                    )
                )

        self.webrtc.emit("set-remote-description", description, Gst.Promise.new_with_change_func(applied, None))

    def on_ice_candidate(self, _webrtc, mline, candidate):
        emit({"candidate": candidate, "sdpMLineIndex": mline})

    def on_state(self, webrtc, spec):
        value = webrtc.get_property(spec.name)
        name = value.value_nick if hasattr(value, "value_nick") else str(value)
        emit({"event": "state", spec.name.replace("-state", "").replace("-connection", ""): name})

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        emit({"event": "error", "message": f"{error.message} ({debug})"})

    def on_pad(self, _webrtc, pad):
        if pad.get_direction() == Gst.PadDirection.SRC:
            self.measures.append(Measure(self, pad))

    # --- data channels

    def adopt(self, channel, remote):
        label = channel.get_property("label")
        self.channels[label] = channel
        emit(
            {
                "event": "channel",
                "label": label,
                "remote": remote,
                "ordered": channel.get_property("ordered"),
                "maxRetransmits": channel.get_property("max-retransmits"),
                "maxPacketLifeTime": channel.get_property("max-packet-lifetime"),
                "id": channel.get_property("id"),
            }
        )
        channel.connect("on-open", lambda ch: self.opened(label))
        channel.connect("on-close", lambda ch: emit({"event": "close", "label": ch.get_property("label")}))
        channel.connect(
            "on-error", lambda ch, err: emit({"event": "error", "message": f"{label}: {err.message}"})
        )
        channel.connect("on-message-string", lambda ch, s: self.received(ch, (s or "").encode(), True))
        channel.connect(
            "on-message-data", lambda ch, b: self.received(ch, b.get_data() if b is not None else b"", False)
        )
        if channel.get_property("ready-state") == GstWebRTC.WebRTCDataChannelState.OPEN:
            self.opened(label)

    def opened(self, label):
        if label not in self.open_labels:  # a channel the peer opened may already be open when announced
            self.open_labels.add(label)
            emit({"event": "open", "label": label})

    def received(self, channel, data, text):
        emit(
            {
                "event": "message",
                "label": channel.get_property("label"),
                "text": text,
                "length": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )

    def send(self, order):
        channel = self.channels.get(order["label"])
        if channel is None:
            emit({"event": "error", "message": f"no channel {order['label']}"})
        elif "text" in order:
            channel.send_string(order["text"])
        else:
            channel.send_data(GLib.Bytes.new(base64.b64decode(order["binary"])))

    # --- commands from the test

    def command(self, message):
        if "type" in message:
            self.set_remote(message["type"], message["sdp"])
        elif "candidate" in message:
            if message["candidate"]:
                self.webrtc.emit("add-ice-candidate", message.get("sdpMLineIndex") or 0, message["candidate"])
        elif "send" in message:
            self.send(message["send"])
        elif "close" in message:
            self.channels[message["close"]].close()
        elif "quit" in message:
            self.quit()
        return False

    def quit(self):
        self.pipe.set_state(Gst.State.NULL)
        loop.quit()


def read_commands(peer):
    for line in sys.stdin:
        if line.strip():
            GLib.idle_add(peer.command, json.loads(line))
    GLib.idle_add(peer.quit)


if __name__ == "__main__":
    loop = GLib.MainLoop()
    peer = Peer(json.loads(sys.argv[1]))
    GLib.idle_add(lambda: peer.start() and False)
    loop.run()
