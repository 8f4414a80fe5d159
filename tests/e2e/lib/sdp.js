// A syntactically complete WebRTC offer for signalling tests that need no
// real media: Janus accepts it (ICE credentials, fingerprint, BUNDLE) but
// nothing ever connects.
export function fakeOffer({ video = false } = {}) {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const media = (kind, mid, pt, rtpmap) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Fake',
    'a=ice-pwd:fakefakefakefakefakefake',
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=sendrecv',
    'a=rtcp-mux',
    `a=rtpmap:${pt} ${rtpmap}`,
  ];
  const lines = [
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    `a=group:BUNDLE 0${video ? ' 1' : ''}`, 'a=msid-semantic: WMS',
    ...media('audio', 0, 111, 'opus/48000/2'),
    ...(video ? media('video', 1, 96, 'VP8/90000') : []),
  ];
  return { type: 'offer', sdp: `${lines.join('\r\n')}\r\n` };
}

// An answer to an offer, accepting every active m-line with its first codec,
// again with credentials that will never connect.
export function fakeAnswer(offerSdp) {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 11 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const sections = offerSdp.split(/\r?\n(?=m=)/).slice(1);
  const mids = [];
  const media = sections.map((section) => {
    const lines = section.split(/\r?\n/);
    const [kind, port, proto, ...pts] = lines[0].slice(2).split(' ');
    const mid = (lines.find((l) => l.startsWith('a=mid:')) || 'a=mid:0').slice(6);
    if (port === '0') return [`m=${kind} 0 ${proto} ${pts[0]}`, `a=mid:${mid}`, 'a=inactive'];
    mids.push(mid);
    const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pts[0]} `));
    return [
      `m=${kind} 9 ${proto} ${pts[0]}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
      'a=ice-ufrag:Ansr', 'a=ice-pwd:answeransweransweranswer', `a=fingerprint:sha-256 ${fingerprint}`,
      'a=setup:active', `a=mid:${mid}`, 'a=sendrecv', 'a=rtcp-mux', rtpmap,
    ].filter(Boolean);
  });
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS', ...media.flat()];
  return { type: 'answer', sdp: `${lines.join('\r\n')}\r\n` };
}

// An offer with the given m-lines, for tests of what the gateway makes of
// one: sections are { kind, codecs: [[pt, 'VP8/90000', fmtp?], ...], padding? }
// (padding: that many 100-byte attribute lines, to make the SDP large).
export function customOffer(sections) {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const lines = ['v=0', 'o=- 4611731400430051337 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    `a=group:BUNDLE ${sections.map((_, mid) => mid).join(' ')}`, 'a=msid-semantic: WMS'];
  sections.forEach(({ kind, codecs, padding = 0 }, mid) => {
    lines.push(`m=${kind} 9 UDP/TLS/RTP/SAVPF ${codecs.map(([pt]) => pt).join(' ')}`, 'c=IN IP4 0.0.0.0',
      'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:Fake', 'a=ice-pwd:fakefakefakefakefakefake',
      `a=fingerprint:sha-256 ${fingerprint}`, 'a=setup:actpass', `a=mid:${mid}`, 'a=sendrecv', 'a=rtcp-mux');
    for (const [pt, rtpmap, fmtp] of codecs) {
      lines.push(`a=rtpmap:${pt} ${rtpmap}`);
      if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    }
    for (let i = 0; i < padding; i++) lines.push(`a=x-padding:${String(i).padStart(4, '0')}${'p'.repeat(100)}`);
  });
  return { type: 'offer', sdp: `${lines.join('\r\n')}\r\n` };
}

// The payload types of an SDP's first m-line of a kind, in the m= line's
// order: [{ pt, codec ('VP8', 'rtx', ...), apt (RTX only) }].
export function mlineCodecs(sdp, kind) {
  const section = sdp.split(/\r?\n(?=m=)/).find((s) => s.startsWith(`m=${kind} `));
  if (!section) return [];
  const lines = section.split(/\r?\n/);
  return lines[0].split(' ').slice(3).map(Number).map((pt) => {
    const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
    const apt = lines.find((l) => l.startsWith(`a=fmtp:${pt} apt=`));
    return { pt, codec: rtpmap ? rtpmap.split(' ')[1].split('/')[0] : null, ...(apt ? { apt: Number(apt.split('apt=')[1]) } : {}) };
  });
}

// Opus RED on an SDP's first audio m-line: { red, fmtp, opus, first } (its
// payload type, its a=fmtp value, Opus's payload type, whether RED comes
// first: what a browser then sends with); null without RED.
export function audioRed(sdp) {
  const codecs = mlineCodecs(sdp, 'audio');
  const red = codecs.find((c) => c.codec?.toLowerCase() === 'red');
  if (!red) return null;
  const fmtp = sdp.split(/\r?\n/).find((l) => l.startsWith(`a=fmtp:${red.pt} `));
  return { red: red.pt, fmtp: fmtp?.split(' ')[1] ?? null, opus: codecs.find((c) => c.codec?.toLowerCase() === 'opus')?.pt ?? null,
    first: codecs[0] === red };
}
