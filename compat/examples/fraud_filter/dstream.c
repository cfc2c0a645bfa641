/* fraud_filter/dstream.c — card payments flagged as suspicious, in the DStream API.
 *
 *   def flag(line):
 *       card, amount, country, time = line.split(",")
 *       reason = "large" if float(amount) > 2000 else "abroad" if country != "US" else None
 *       return [(card, float(amount), country, reason)] if reason else []
 *   lines.flatMap(flag).pprint()
 *
 * Stateless: each payment is judged alone. */
#include "compat/example.h"

static void
flag_payment(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize card_len, country_len;
    const char *card = duet_example_field(row, 0, &card_len);
    const char *country = duet_example_field(row, 2, &country_len);
    gdouble amount = duet_example_field_double(row, 1, -1);
    if (card == NULL || country == NULL || amount < 0)
        return; /* a malformed line: skipped, as the flatMap's split would fail on it */
    const char *reason = amount > 2000                                       ? "large"
                         : country_len != 2 || memcmp(country, "US", 2) != 0 ? "abroad"
                                                                             : NULL;
    if (reason == NULL)
        return;
    duet_batch_builder_append_string(out, 0, card, (gssize)card_len);
    duet_batch_builder_append_double(out, 1, amount);
    duet_batch_builder_append_string(out, 2, country, (gssize)country_len);
    duet_batch_builder_append_string(out, 3, reason, -1);
}

DuetDStream *
duet_example_fraud_filter_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) flagged =
        duet_schema_parse("card STRING, amount DOUBLE, country STRING, reason STRING", NULL);
    return duet_dstream_flat_map(lines, flagged, flag_payment, NULL);
}
