from shipping.bootstrap import main

main()
