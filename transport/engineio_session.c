#include "engineio_session.h"

#include <string.h>
#include <sys/random.h>

void eio_random_id(char sid[EIO_SID_LEN + 1]) {
	/* 15 random bytes → 20 base64url characters. */
	guint8 bytes[15];
	gsize got = 0;
	while(got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if(n > 0)
			got += (gsize)n;
	}
	gchar *b64 = g_base64_encode(bytes, sizeof(bytes));
	for(gchar *c = b64; *c; c++) {
		if(*c == '+')
			*c = '-';
		else if(*c == '/')
			*c = '_';
	}
	memcpy(sid, b64, EIO_SID_LEN);
	sid[EIO_SID_LEN] = '\0';
	g_free(b64);
}

char *eio_session_handshake(const eio_session *session) {
	return g_strdup_printf("{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%" G_GINT64_FORMAT
		",\"pingTimeout\":%" G_GINT64_FORMAT ",\"maxPayload\":%" G_GSIZE_FORMAT "}",
		session->sid, session->transport == EIO_TRANSPORT_POLLING ? "[\"websocket\"]" : "[]",
		session->config->ping_interval_us / 1000, session->config->ping_timeout_us / 1000,
		session->config->max_payload);
}

eio_session *eio_session_new(eio_transport transport, const eio_session_config *config, gint64 now) {
	eio_session *session = g_new0(eio_session, 1);
	eio_random_id(session->sid);
	session->transport = transport;
	session->config = config;
	g_queue_init(&session->outbox);
	session->next_ping = now + config->ping_interval_us;
	char *open = eio_session_handshake(session);
	eio_session_send(session, eio_packet_new(EIO_OPEN, FALSE, open, strlen(open)));
	g_free(open);
	return session;
}

void eio_session_free(eio_session *session) {
	if(session == NULL)
		return;
	g_queue_clear_full(&session->outbox, (GDestroyNotify)eio_packet_free);
	g_free(session);
}

gboolean eio_session_send(eio_session *session, eio_packet *packet) {
	if(session->closed) {
		eio_packet_free(packet);
		return FALSE;
	}
	session->outbox_bytes += g_bytes_get_size(packet->data) + 1;
	g_queue_push_tail(&session->outbox, packet);
	return session->outbox_bytes <= session->config->max_queued_bytes;
}

gboolean eio_session_send_message(eio_session *session, const char *text) {
	return eio_session_send(session, eio_packet_new(EIO_MESSAGE, FALSE, text, strlen(text)));
}

gboolean eio_session_has_output(const eio_session *session) {
	return session->noop_due || session->outbox.length > 0;
}

static eio_packet *pop_packet(eio_session *session) {
	eio_packet *packet = g_queue_pop_head(&session->outbox);
	if(packet != NULL)
		session->outbox_bytes -= g_bytes_get_size(packet->data) + 1;
	return packet;
}

GString *eio_session_take_payload(eio_session *session) {
	if(!eio_session_has_output(session))
		return NULL;
	GString *payload = g_string_new(NULL);
	if(session->noop_due) {
		/* Releases the client's GET so that it can finish the upgrade. */
		eio_packet noop = { .type = EIO_NOOP, .binary = FALSE, .data = g_bytes_new_static("", 0) };
		eio_encode_payload_append(payload, &noop);
		g_bytes_unref(noop.data);
		session->noop_due = FALSE;
		/* While probing, the rest waits for the WebSocket. */
		if(session->probing)
			return payload;
	}
	eio_packet *packet;
	while((packet = g_queue_peek_head(&session->outbox)) != NULL) {
		/* base64 grows binary data by 4/3; the bound is only approximate for it. */
		gsize size = g_bytes_get_size(packet->data) + 2;
		if(payload->len > 0 && payload->len + size > session->config->max_payload)
			break;
		eio_encode_payload_append(payload, packet);
		eio_packet_free(pop_packet(session));
	}
	return payload;
}

eio_packet *eio_session_take_packet(eio_session *session) {
	return pop_packet(session);
}

static gboolean data_is(const eio_packet *packet, const char *text) {
	gsize len = 0;
	const char *data = eio_packet_text(packet, &len);
	return len == strlen(text) && memcmp(data, text, len) == 0;
}

eio_input eio_session_receive(eio_session *session, const eio_packet *packet, eio_via via, gint64 now) {
	if(session->closed)
		return EIO_INPUT_NONE;
	gboolean on_current = (via == EIO_VIA_POLLING) == (session->transport == EIO_TRANSPORT_POLLING);
	if(!on_current) {
		/* A WebSocket beside a polling session: only the upgrade handshake. */
		if(via != EIO_VIA_WEBSOCKET)
			return EIO_INPUT_ERROR;
		if(packet->type == EIO_PING && data_is(packet, "probe") && !session->probing) {
			session->probing = TRUE;
			session->probe_deadline = now + EIO_UPGRADE_TIMEOUT_US;
			session->noop_due = TRUE;
			session->next_noop = now + EIO_UPGRADE_NOOP_US;
			return EIO_INPUT_PROBE;
		}
		if(packet->type == EIO_UPGRADE && session->probing) {
			session->probing = FALSE;
			session->noop_due = FALSE;
			session->transport = EIO_TRANSPORT_WEBSOCKET;
			return EIO_INPUT_UPGRADED;
		}
		return EIO_INPUT_DROP_TRANSPORT;
	}
	/* Any sign of life while a ping is outstanding buys the client time, once. */
	if(session->pong_deadline != 0 && !session->pong_refreshed && packet->type != EIO_PONG) {
		session->pong_deadline = now + session->config->ping_timeout_us;
		session->pong_refreshed = TRUE;
	}
	switch(packet->type) {
		case EIO_PONG:
			if(session->pong_deadline != 0) {
				session->pong_deadline = 0;
				session->next_ping = now + session->config->ping_interval_us;
			}
			return EIO_INPUT_NONE;
		case EIO_MESSAGE:
			return EIO_INPUT_MESSAGE;
		case EIO_CLOSE:
			return EIO_INPUT_CLOSE;
		case EIO_NOOP:
			return EIO_INPUT_NONE;
		case EIO_OPEN:
		case EIO_PING:      /* v4 heartbeats go server → client only */
		case EIO_UPGRADE:   /* only valid on the probing WebSocket */
			break;
	}
	return EIO_INPUT_ERROR;
}

eio_tick eio_session_tick(eio_session *session, gint64 now) {
	if(session->closed)
		return EIO_TICK_NONE;
	if(session->pong_deadline != 0 && now >= session->pong_deadline)
		return EIO_TICK_TIMEOUT;
	if(session->probing && now >= session->probe_deadline) {
		session->probing = FALSE;
		session->noop_due = FALSE;
		return EIO_TICK_UPGRADE_EXPIRED;
	}
	if(session->probing && now >= session->next_noop) {
		session->noop_due = TRUE;
		session->next_noop = now + EIO_UPGRADE_NOOP_US;
		return EIO_TICK_OUTPUT;
	}
	if(session->pong_deadline == 0 && now >= session->next_ping) {
		session->pong_deadline = now + session->config->ping_timeout_us;
		session->pong_refreshed = FALSE;
		/* Ahead of any backlog: the client times out on pings, not on other traffic. */
		g_queue_push_head(&session->outbox, eio_packet_new(EIO_PING, FALSE, "", 0));
		session->outbox_bytes += 1;
		return EIO_TICK_OUTPUT;
	}
	return EIO_TICK_NONE;
}

gint64 eio_session_next_deadline(const eio_session *session) {
	gint64 next = session->pong_deadline != 0 ? session->pong_deadline : session->next_ping;
	if(session->probing)
		next = MIN(next, MIN(session->probe_deadline, session->next_noop));
	return next;
}

void eio_session_close(eio_session *session) {
	session->closed = TRUE;
}
