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
