/*
 * http_conn: the libmicrohttpd callbacks of a request (http_conn.c), given
 * to MHD_start_daemon by http.c. cls is the http_server.
 */
#ifndef E4C2_HTTP_CONN_H
#define E4C2_HTTP_CONN_H

#include <microhttpd.h>

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode toe);

#endif
