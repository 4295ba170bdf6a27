import HPOCore
