"""Tables: the policy library, benefit items, deliveries and uptake (惠企政策宣传到位)."""
