/* fraud_filter/structured.c — card payments flagged as suspicious, in Structured Streaming.
 *
 *   payments = lines.selectExpr("element_at(split(value, ','), 1) AS card",
 *                               "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS amount",
 *                               "element_at(split(value, ','), 3) AS country")
 *   flagged = payments.where("amount > 2000 OR country != 'US'").selectExpr(
 *       "card", "amount", "country",
 *       "CASE WHEN amount > 2000 THEN 'large' ELSE 'abroad' END AS reason")
 *   flagged.writeStream.outputMode("append").format("console").start()
 *
 * Stateless: append mode, nothing kept between batches. */
#include "compat/example.h"

DuetDataFrame *
duet_example_fraud_filter_structured(DuetDataFrame *lines, GError **error)
{
    static const char *const fields[] = {
        "element_at(split(value, ','), 1) AS card",
        "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS amount",
        "element_at(split(value, ','), 3) AS country"};
    static const char *const flagged[] = {
        "card", "amount", "country",
        "CASE WHEN amount > 2000 THEN 'large' ELSE 'abroad' END AS reason"};
    g_autoptr(DuetDataFrame) payments = duet_dataframe_select_exprv(lines, fields, 3, error);
    if (payments == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) suspicious =
        duet_dataframe_where(payments, "amount > 2000 OR country != 'US'", error);
    return suspicious ? duet_dataframe_select_exprv(suspicious, flagged, 4, error) : NULL;
}
