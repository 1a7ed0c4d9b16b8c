# Vietnamese number formats: 50.000 VND (Django's own "vi" formats do not group thousands).
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
