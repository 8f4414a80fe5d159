#!/usr/bin/python3
"""A browserless WebRTC load generator for tools/bench-capacity.

Each synthetic user is a GStreamer webrtcbin (real ICE, DTLS, SRTP and
RTCP) that sends pre-encoded VP8 (1280x720, about 1.5 Mbit/s, a keyframe
every 3 s) and Opus in a loop, so that a packet costs only RTP and SRTP:
nothing is encoded or decoded per frame. A keyframe request (PLI/FIR)
makes the loop jump to its next keyframe. What a user receives goes
undecoded into a fakesink; a probe counts its packets and bytes and the loss
from its sequence numbers, and webrtcbin's statistics give its jitter.

  webrtc-load.py --encode FILE
      encodes the clip once (a few seconds of CPU) into FILE
  webrtc-load.py --media FILE --plugin oicall|videocall --url URL --pairs N --prefix P
      registers 2N users, each first one calling its partner (oicall: the JSEP
      dialect over Socket.IO at URL; videocall: janus.plugin.videocall over
      Janus's HTTP API at URL), then takes commands on stdin, one a line:
      "stats" prints the summed inbound statistics as one JSON line,
      "quit" (or end of input) hangs up and exits.
      With --pairs 0 (tools/bench-soak) calls come and go on command:
      "start NAME" registers two users and places a call between them,
      "end NAME a|b" has that side hang up, "calls" prints each call's
      statistics; the answers are JSON lines with "call": NAME, and so is
      {"event": "lost"} when a call ends or breaks unasked.

One GLib main loop paces every user's frames; signalling runs on threads.
Debian's python3-gi, gir1.2-gst-plugins-bad-1.0, gstreamer1.0-nice,
python3-socketio and python3-websocket (tools/setup --bench).
"""
import argparse
import json
import os
import pickle
import sys
import threading
import time
import urllib.request

import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstApp', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('GstVideo', '1.0')
gi.require_version('GstWebRTC', '1.0')
from gi.repository import GLib, Gst, GstApp, GstSdp, GstVideo, GstWebRTC  # noqa: E402,F401 (GstApp: push_buffer)

TRACE = os.environ.get('BENCH_TRACE') == '1'
VIDEO_FPS, AUDIO_FPS = 30, 50
CLIP_SECONDS = 3   # one keyframe, at the start: the loop sends one every 3 s
ENCODERS = {
    # A moving zone plate: detail everywhere, so the encoder spends its whole bitrate.
    'video': f'videotestsrc num-buffers={CLIP_SECONDS * VIDEO_FPS} pattern=zone-plate kx2=20 ky2=20 kt=1 '
             f'! video/x-raw,width=1280,height=720,framerate={VIDEO_FPS}/1 '
             '! vp8enc target-bitrate=1700000 end-usage=cbr keyframe-max-dist=90 max-intra-bitrate=300 buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600 deadline=1 cpu-used=8 threads=2',
    'audio': f'audiotestsrc num-buffers={CLIP_SECONDS * AUDIO_FPS} samplesperbuffer=960 wave=pink-noise '
             '! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=48000 frame-size=20',
}
PAYLOADERS = {
    'video': ('rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit',
              'application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,'
              'rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true'),
    'audio': ('rtpopuspay pt=111',
              'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000'),
}


def encode(path):
    clips = {}
    for kind, description in ENCODERS.items():
        pipeline = Gst.parse_launch(f'{description} ! appsink name=out sync=false')
        sink = pipeline.get_by_name('out')
        pipeline.set_state(Gst.State.PLAYING)
        frames, caps = [], None
        while (sample := sink.emit('pull-sample')) is not None:
            buf = sample.get_buffer()
            caps = sample.get_caps().to_string()
            frames.append((buf.extract_dup(0, buf.get_size()), not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)))
        pipeline.set_state(Gst.State.NULL)
        clips[kind] = {'caps': caps, 'frames': frames}
    with open(path, 'wb') as f:
        pickle.dump(clips, f)
    video = clips['video']['frames']
    report({'video_kbps': round(sum(len(d) for d, _ in video) * 8 / CLIP_SECONDS / 1000),
                      'keyframes': sum(1 for _, k in video if k),
                      'audio_kbps': round(sum(len(d) for d, _ in clips['audio']['frames']) * 8 / CLIP_SECONDS / 1000)})


REPORT_LOCK = threading.Lock()


def report(message):
    """One JSON line to the bench, on the stdout the process started with (from any thread)."""
    with REPORT_LOCK:
        REPORT.write(json.dumps(message) + '\n')
        REPORT.flush()


def trace(*words):
    """What each user does, on stderr, with BENCH_TRACE=1."""
    if TRACE:
        print(f'{time.monotonic():.3f}', *words, file=sys.stderr, flush=True)


def await_promise(emit):
    """Runs a webrtcbin action that answers through a GstPromise; waits for it (never on the main loop)."""
    promise = Gst.Promise.new()
    emit(promise)
    promise.wait()
    return promise.get_reply()


class Peer:
    """One user's PeerConnection and its looped senders."""

    def __init__(self, clips):
        self.clips = clips
        branches = ' '.join(
            f'appsrc name={kind} is-live=true do-timestamp=true format=time caps="{clips[kind]["caps"]}" '
            f'! {payloader} ! {caps} ! w.' for kind, (payloader, caps) in PAYLOADERS.items())
        self.pipeline = Gst.parse_launch(f'webrtcbin name=w bundle-policy=max-bundle {branches}')
        self.webrtc = self.pipeline.get_by_name('w')
        self.webrtc.connect('pad-added', self.on_pad_added)
        for state in ('ice-connection-state', 'connection-state'):
            self.webrtc.connect(f'notify::{state}', lambda w, spec: trace(spec.name, w.get_property(spec.name).value_nick))
        self.sources = {kind: self.pipeline.get_by_name(kind) for kind in PAYLOADERS}
        self.position = {kind: 0 for kind in PAYLOADERS}
        self.sent = {kind: 0 for kind in PAYLOADERS}
        self.keyframe_requests = 0
        self.received = []   # one counter per received stream, filled by on_rtp
        self.want_keyframe = False
        self.sources['video'].get_static_pad('src').add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self.on_upstream_event)
        self.started = None

    def start(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        self.started = time.monotonic()

    def stop(self):
        self.started = None
        self.pipeline.set_state(Gst.State.NULL)

    def on_pad_added(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        sink.set_property('async', False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad('sink'))
        counter = {'packets': 0, 'bytes': 0, 'first': None, 'highest': None, 'last': None, 'gap': 0.0}
        self.received.append(counter)
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_rtp, counter)

    @staticmethod
    def on_rtp(_pad, info, counter):
        """Counts a received packet and extends its sequence number (webrtcbin's own
        packets-lost is the same figure for every stream of a PeerConnection),
        and keeps the longest time between two packets."""
        buf = info.get_buffer()
        seq = int.from_bytes(buf.extract_dup(2, 2), 'big')
        now = time.monotonic()
        if counter['last'] is not None:
            counter['gap'] = max(counter['gap'], now - counter['last'])
        counter['last'] = now
        counter['packets'] += 1
        counter['bytes'] += buf.get_size()
        if counter['highest'] is None:
            counter['first'] = counter['highest'] = seq
        else:
            delta = (seq - counter['highest']) & 0xFFFF
            if delta < 0x8000:
                counter['highest'] += delta
        return Gst.PadProbeReturn.OK

    def on_upstream_event(self, _pad, info):
        if GstVideo.video_event_is_force_key_unit(info.get_event()):
            self.keyframe_requests += 1
            self.want_keyframe = True
        return Gst.PadProbeReturn.OK

    def pace(self, now):
        """Pushes the frames due by now (called every 10 ms from the main loop)."""
        started = self.started   # once: stop() may clear it meanwhile, from another thread
        if started is None:
            return
        for kind, fps in (('video', VIDEO_FPS), ('audio', AUDIO_FPS)):
            frames = self.clips[kind]['frames']
            due = int((now - started) * fps)
            # Behind by more than 0.1 s (the loop was held up): the frames missed are skipped, as
            # a camera would, rather than sent in one burst that the sockets on the way drop.
            self.sent[kind] = max(self.sent[kind], due - fps // 10)
            while self.sent[kind] < due:
                if kind == 'video' and self.want_keyframe:
                    self.want_keyframe = False
                    i = self.position[kind]
                    while not frames[i % len(frames)][1]:
                        i += 1
                    self.position[kind] = i % len(frames)
                data, _ = frames[self.position[kind]]
                self.position[kind] = (self.position[kind] + 1) % len(frames)
                self.sent[kind] += 1
                self.sources[kind].push_buffer(Gst.Buffer.new_wrapped(data))

    def local_sdp(self, kind):
        """Creates an offer or answer, applies it, and returns it with every candidate once gathered."""
        reply = await_promise(lambda p: self.webrtc.emit(f'create-{kind}', None, p))
        description = reply.get_value(kind)
        await_promise(lambda p: self.webrtc.emit('set-local-description', description, p))
        deadline = time.monotonic() + 10
        while self.webrtc.get_property('ice-gathering-state') != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            if time.monotonic() > deadline:
                raise RuntimeError(f'ICE gathering for an {kind} did not complete in 10 s')
            time.sleep(0.02)
        sdp = self.webrtc.get_property('local-description').sdp.as_text()
        trace('local', kind, sdp)
        return sdp

    def set_remote(self, kind, sdp):
        trace('remote', kind, sdp)
        _, message = GstSdp.SDPMessage.new_from_text(sdp)
        sdp_type = GstWebRTC.WebRTCSDPType.OFFER if kind == 'offer' else GstWebRTC.WebRTCSDPType.ANSWER
        description = GstWebRTC.WebRTCSessionDescription.new(sdp_type, message)
        await_promise(lambda p: self.webrtc.emit('set-remote-description', description, p))

    def answer(self, offer_sdp):
        self.set_remote('offer', offer_sdp)
        return self.local_sdp('answer')

    def jitter(self):
        """webrtcbin's inbound-rtp jitter (s) of each received stream."""
        reply = await_promise(lambda p: self.webrtc.emit('get-stats', None, p))
        streams = []

        def collect(_field, value):
            if isinstance(value, Gst.Structure) and value.get_value('type') == GstWebRTC.WebRTCStatsType.INBOUND_RTP:
                streams.append(value.get_value('jitter'))
            return True
        reply.foreach(collect)
        return streams


class OicallUser:
    """The JSEP dialect over the Socket.IO transport. on_lost(why) hears of a call
    that ends or breaks before this user hangs up (leaving)."""

    def __init__(self, url, user_id, peer, on_lost=lambda why: None):
        import socketio
        self.peer, self.user_id, self.call_id = peer, user_id, None
        self.on_lost, self.leaving = on_lost, False
        self.up = threading.Event()      # accept-call acked, or the answer applied
        self.ended = threading.Event()   # call-ended came
        self.sio = socketio.Client(reconnection=False)
        self.sio.on('incoming-call', lambda p: self.spawn(self.accept, p))
        self.sio.on('call-accepted', lambda p: self.spawn(self.accepted, p))
        self.sio.on('call-ended', self.on_call_ended)
        self.sio.on('disconnect', lambda *_: self.leaving or self.on_lost(f'{self.user_id} disconnected'))
        self.sio.connect(url, socketio_path='calls', transports=['websocket'])
        self.request('register', {'userId': user_id})

    def spawn(self, work, payload):
        """Runs an event's work off the Socket.IO thread (it waits for webrtcbin)."""
        def guarded():
            try:
                work(payload)
            except Exception as e:
                self.on_lost(f'{self.user_id}: {e!r}')
        threading.Thread(target=guarded, daemon=True).start()

    def accepted(self, payload):
        self.peer.set_remote('answer', payload['jsep']['sdp'])
        self.up.set()

    def on_call_ended(self, payload):
        self.call_id = None
        self.ended.set()
        if not self.leaving:
            self.on_lost(f'{self.user_id} got call-ended {payload.get("reason")}')

    def request(self, event, payload):
        trace(self.user_id, event)
        ack = self.sio.call(event, payload, timeout=15)
        trace(self.user_id, event, 'ack', json.dumps(ack)[:200])
        if 'error' in ack:
            raise RuntimeError(f'{self.user_id} {event}: {ack["error"]}')
        return ack

    def call(self, callee):
        offer = self.peer.local_sdp('offer')
        self.call_id = self.request('start-call', {'toUserId': callee, 'callType': 'video',
                                                   'jsep': {'type': 'offer', 'sdp': offer}})['callId']

    def accept(self, payload):
        self.call_id = payload['callId']
        trace(self.user_id, 'incoming-call', self.call_id)
        answer = self.peer.answer(payload['jsep']['sdp'])
        self.request('accept-call', {'callId': self.call_id, 'jsep': {'type': 'answer', 'sdp': answer}})
        self.up.set()

    def hang_up(self):
        self.leaving = True
        if self.call_id:
            self.sio.call('end-call', {'callId': self.call_id}, timeout=5)
        self.sio.disconnect()


class VideoCallUser:
    """Janus's janus.plugin.videocall over Janus's HTTP API, its events from a long poll."""

    def __init__(self, url, user_id, peer):
        self.url, self.peer, self.user_id = url, peer, user_id
        self.session = self.post('', {'janus': 'create'})['data']['id']
        self.handle = self.post(f'/{self.session}', {'janus': 'attach', 'plugin': 'janus.plugin.videocall'})['data']['id']
        self.registered = threading.Event()
        self.closed = False
        threading.Thread(target=self.poll, daemon=True).start()
        self.message({'request': 'register', 'username': user_id})
        if not self.registered.wait(15):
            raise RuntimeError(f'{user_id}: VideoCall did not register')

    def post(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps({'transaction': 't', **body}).encode(), method='POST')
        with urllib.request.urlopen(request, timeout=15) as reply:
            return json.load(reply)

    def message(self, body, jsep=None):
        request = {'janus': 'message', 'body': body}
        if jsep:
            request['jsep'] = {**jsep, 'trickle': False}
        self.post(f'/{self.session}/{self.handle}', request)

    def poll(self):
        while not self.closed:
            try:
                with urllib.request.urlopen(f'{self.url}/{self.session}?maxev=10', timeout=40) as reply:
                    events = json.load(reply)
            except OSError:
                continue
            for event in events if isinstance(events, list) else [events]:
                result = event.get('plugindata', {}).get('data', {}).get('result', {})
                if result.get('event') == 'registered':
                    self.registered.set()
                elif result.get('event') == 'incomingcall':
                    threading.Thread(target=self.accept, args=(event['jsep']['sdp'],), daemon=True).start()
                elif result.get('event') == 'accepted' and 'jsep' in event:
                    threading.Thread(target=self.peer.set_remote, args=('answer', event['jsep']['sdp']), daemon=True).start()

    def call(self, callee):
        offer = self.peer.local_sdp('offer')
        self.message({'request': 'call', 'username': callee}, {'type': 'offer', 'sdp': offer})

    def accept(self, offer_sdp):
        self.message({'request': 'accept'}, {'type': 'answer', 'sdp': self.peer.answer(offer_sdp)})

    def hang_up(self):
        self.closed = True
        self.post(f'/{self.session}', {'janus': 'destroy'})


class Call:
    """A call of the soak: two new users, the first calling the second, until one hangs up."""
    SETUP_S = 20

    def __init__(self, name, args, clips, peers):
        self.name, self.args, self.clips, self.peers = name, args, clips, peers
        self.own_peers, self.users, self.started, self.lost = [], [], False, None

    def lose(self, why):
        if self.lost is None:
            self.lost = why
            if self.started:
                report({'call': self.name, 'event': 'lost', 'why': why})

    def start(self):
        """Answers "started" once both sides receive every stream, else "failed"."""
        begun = time.monotonic()
        try:
            for side in 'ab':
                peer = Peer(self.clips)
                peer.start()
                self.own_peers.append(peer)
                self.peers.append(peer)
                self.users.append(OicallUser(self.args.url, f'{self.args.prefix}-{self.name}-{side}', peer, self.lose))
            caller, callee = self.users
            caller.call(callee.user_id)
            while not all(u.up.is_set() and summed_stats([u.peer], jitter=False)['streams'] == 2 for u in self.users):
                if self.lost:
                    raise RuntimeError(self.lost)
                if time.monotonic() - begun > self.SETUP_S:
                    raise RuntimeError(f'no media both ways {self.SETUP_S} s after the start')
                time.sleep(0.05)
            self.started = True
            report({'call': self.name, 'event': 'started', 'setup_ms': round((time.monotonic() - begun) * 1000)})
        except Exception as e:
            report({'call': self.name, 'event': 'failed', 'why': str(e)})

    def stats(self):
        """Each direction's statistics: what the caller receives, then the callee."""
        return [summed_stats([u.peer]) for u in self.users]

    def end(self, side):
        """The side hangs up; the other must be told; then both leave."""
        for user in self.users:
            user.leaving = True
        if self.users:
            ender = self.users['ab'.index(side)] if len(self.users) == 2 else self.users[0]
            other = [u for u in self.users if u is not ender]
            try:
                ender.hang_up()
                if other and not other[0].ended.wait(5):
                    self.lose(f'{other[0].user_id} got no call-ended within 5 s')
                for user in other:
                    user.hang_up()
            except Exception as e:
                self.lose(f'hanging up: {e!r}')
        stats = self.stats() if self.started else []
        for peer in self.own_peers:   # a user that failed to register left its peer behind too
            peer.stop()
            self.peers.remove(peer)
        report({'call': self.name, 'event': 'ended', 'lost': self.lost, 'directions': stats})


def summed_stats(peers, jitter=True):
    streams = [c for peer in peers for c in peer.received if c['first'] is not None]
    trace('received', streams)
    now = time.monotonic()
    return {
        'streams': len(streams),
        # The longest time a stream went without a packet, its silence so far included.
        'gap_s': round(max((max(c['gap'], now - c['last']) for c in streams), default=0), 3),
        'packets': sum(c['packets'] for c in streams),
        'bytes': sum(c['bytes'] for c in streams),
        'expected': sum(c['highest'] - c['first'] + 1 for c in streams),
        'jitter_ms': [round(j * 1000, 3) for peer in peers for j in peer.jitter()] if jitter else [],
        'keyframe_requests': sum(p.keyframe_requests for p in peers),
    }


def run(args):
    with open(args.media, 'rb') as f:
        clips = pickle.load(f)
    user_class = OicallUser if args.plugin == 'oicall' else VideoCallUser
    peers = [Peer(clips) for _ in range(2 * args.pairs)]
    now = time.monotonic

    def pace():
        for peer in list(peers):   # calls add and remove theirs meanwhile
            peer.pace(now())
        return True
    GLib.timeout_add(10, pace)
    loop = GLib.MainLoop()
    users = []
    calls = {}

    def on_thread(work, *args):
        threading.Thread(target=work, args=args, daemon=True).start()

    def control():
        try:
            for i, peer in enumerate(peers):
                peer.start()
                users.append(user_class(args.url, f'{args.prefix}-{i}', peer))
            for i in range(0, len(users), 2):
                users[i].call(users[i + 1].user_id)
            report({'placed': args.pairs})
            for line in sys.stdin:
                command, *words = line.split()
                if command == 'stats':
                    report(summed_stats(peers))
                elif command == 'start':
                    calls[words[0]] = Call(words[0], args, clips, peers)
                    on_thread(calls[words[0]].start)
                elif command == 'end':
                    on_thread(calls.pop(words[0]).end, words[1])
                elif command == 'calls':
                    report({'calls': {name: c.stats() for name, c in list(calls.items()) if c.started}})
                elif command == 'quit':
                    break
        except Exception as e:  # reported to the bench, which stops the run
            report({'error': repr(e)})
        for call in calls.values():
            call.end('a')
        for user in users:
            try:
                user.hang_up()
            except Exception:
                pass
        GLib.idle_add(loop.quit)

    threading.Thread(target=control, daemon=True).start()
    loop.run()
    for peer in peers:
        peer.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--encode')
    parser.add_argument('--media')
    parser.add_argument('--plugin', choices=('oicall', 'videocall'))
    parser.add_argument('--url')
    parser.add_argument('--pairs', type=int, default=1)
    parser.add_argument('--prefix', default='load')
    args = parser.parse_args()
    global REPORT
    REPORT = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)   # GLib writes its debug messages to stdout: keep them off the JSON lines
    Gst.init(None)
    if args.encode:
        encode(args.encode)
    else:
        run(args)


if __name__ == '__main__':
    main()
