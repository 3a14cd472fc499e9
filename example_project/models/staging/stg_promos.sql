-- depends_on: {{ ref('promos') }}
select
    promo_id,
    -- The sheet arrives as text: a discount that is not a whole number fails here, loudly.
    cast(discount as integer) as discount,
    status,
    status = 'active' as is_active
from {{ source('greenery', 'promos') }}
